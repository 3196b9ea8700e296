// One WAL service socket as PostgreSQL frames: parses what arrives into a queue (pausing the
// socket while too much waits), lets one consumer handle the queue one step at a time (a single
// pump), writes corked batches of frames and waits for drain, and ends the connection, with a
// FATAL ErrorResponse first when it fails and the socket still takes one. It must not interpret
// frames beyond the framing switch from startup packets to typed messages.
import type { Socket } from 'node:net';
import { assert } from '../../common/assert.js';
import { asError, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { encodeErrorResponse } from '../../postgres/wire/error-response.js';
import { FrameReader, STARTUP_CODES, type WireFrame } from '../../postgres/wire/frame-reader.js';
import { sqlStateOf } from './sql-state.js';

/** PostgreSQL's own bound on a startup packet. */
const MAX_STARTUP_BYTES = 10_000;
/** An AppendRequest (8 + 64 + 131072 bytes) fits with room; nothing legitimate is larger. */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** Parsed frames waiting for the pump beyond this pause the socket (flow control). */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

/** What handles a connection's frames. */
export interface FrameConsumer {
  /**
   * Takes and handles at least one queued frame. The pump calls it one call at a time while
   * frames wait; a throw fails the connection.
   */
  step(): Promise<void>;
  /** The connection ended (either side, a failure or shutdown): no frame is handed over again. */
  closed(): void;
}

export class WireConnection {
  private readonly reader = new FrameReader(
    { maxStartupBytes: MAX_STARTUP_BYTES, maxMessageBytes: MAX_MESSAGE_BYTES },
    'startup',
  );
  private readonly queue: WireFrame[] = [];
  private queuedBytes = 0;
  private pumping = false;
  /** A frame that could not be parsed: answered once the frames before it are handled. */
  private frameError: Error | undefined;
  private ended = false;
  private consumer: FrameConsumer | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly log: Logger,
  ) {}

  /** Starts reading; `consumer` gets every frame from now on. */
  start(consumer: FrameConsumer): void {
    assert(this.consumer === undefined, 'a wire connection is started once');
    this.consumer = consumer;
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) =>
      this.log.debug({ err: error.message }, 'WAL service connection error'),
    );
    this.socket.on('close', () => this.markEnded());
  }

  /** The client's address as host:port, or null once unknown (socket gone). */
  get remoteAddress(): string | null {
    const { remoteAddress, remotePort } = this.socket;
    return remoteAddress === undefined ? null : `${remoteAddress}:${remotePort ?? 0}`;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The frame at the front of the queue, left there. */
  peek(): WireFrame | undefined {
    return this.queue[0];
  }

  /** Removes and returns the frame at the front; a step is only called while one waits. */
  take(): WireFrame {
    const frame = this.queue.shift();
    assert(frame !== undefined, 'a frame is queued when a step takes one');
    this.queuedBytes -= frame.body.length;
    return frame;
  }

  /** Writes frames; waits for the socket to drain so that a reader that stops reading stops us. */
  async write(frames: readonly Uint8Array[]): Promise<void> {
    if (this.ended || this.socket.destroyed) return;
    let flowing = true;
    // One system call for all of them (no delay is on: each write() would be its own segment).
    this.socket.cork();
    for (const frame of frames) flowing = this.socket.write(frame);
    this.socket.uncork();
    if (flowing) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Answers with a FATAL ErrorResponse and ends the connection. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.log.warn({ err: describeError(error) }, 'WAL service connection failed');
    if (!this.socket.destroyed)
      this.socket.write(encodeErrorResponse('FATAL', sqlStateOf(error), describeError(error)));
    this.end();
  }

  /** Ends the connection after what was written; frames still queued are dropped. */
  end(): void {
    this.markEnded();
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    if (this.ended || this.frameError !== undefined) return;
    try {
      this.reader.push(chunk);
      for (let frame = this.reader.next(); frame !== undefined; frame = this.reader.next()) {
        // The startup packet switches framing at once: what follows it is typed messages.
        if (frame.kind === 'startup' && frame.code === STARTUP_CODES.protocolV3)
          this.reader.setPhase('messages');
        this.queue.push(frame);
        this.queuedBytes += frame.body.length;
      }
    } catch (error) {
      this.frameError = asError(error);
    }
    if (this.queuedBytes > MAX_QUEUED_BYTES) this.socket.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const consumer = this.consumer as FrameConsumer;
    try {
      while (this.queue.length > 0 && !this.ended) await consumer.step();
      if (this.frameError !== undefined && !this.ended) throw this.frameError;
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
      if (this.queuedBytes <= MAX_QUEUED_BYTES && this.socket.isPaused()) this.socket.resume();
    }
  }

  private markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.consumer?.closed();
  }
}
