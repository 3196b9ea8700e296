// A raw node:net connection to a PostgreSQL v3 server for step-by-step wire tests: write any
// bytes, read single bytes (the answer to SSLRequest) or whole backend messages, and wait for
// the server to close. Every read has a deadline; the caller destroys the connection.
import { connect, type Socket } from 'node:net';

export interface BackendMessage {
  readonly type: string;
  readonly body: Buffer;
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private isClosed = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.isClosed = true;
      this.wake?.();
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Exactly `count` bytes. */
  async readBytes(count: number, timeoutMs: number): Promise<Buffer> {
    await this.waitFor(() => this.buffered.length >= count, `${count} bytes`, timeoutMs);
    const bytes = this.buffered.subarray(0, count);
    this.buffered = this.buffered.subarray(count);
    return bytes;
  }

  async readMessage(timeoutMs: number): Promise<BackendMessage> {
    const header = await this.readBytes(5, timeoutMs);
    const body = await this.readBytes(header.readInt32BE(1) - 4, timeoutMs);
    return { type: header.toString('latin1', 0, 1), body };
  }

  /** Messages up to and including the first of type `type`. */
  async readUntil(type: string, timeoutMs: number): Promise<BackendMessage[]> {
    const messages: BackendMessage[] = [];
    for (;;) {
      const message = await this.readMessage(timeoutMs);
      messages.push(message);
      if (message.type === type) return messages;
    }
  }

  /** Resolves once the server closed the connection with nothing left unread. */
  async waitClosed(timeoutMs: number): Promise<void> {
    await this.waitFor(() => this.isClosed, 'the close', timeoutMs);
    if (this.buffered.length > 0)
      throw new Error(`${this.buffered.length} unread bytes at the close`);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async waitFor(isDone: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadlineMs = Date.now() + timeoutMs;
    while (!isDone()) {
      if (this.isClosed) throw new Error(`connection closed while waiting for ${what}`);
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remainingMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
