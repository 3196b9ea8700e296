// A minimal PostgreSQL v3 client over node:net for the safekeeper's WAL service: trust
// authentication only, the simple query protocol and CopyBoth streaming, one request at a time.
// Every wait ends at the server's answer, at close()/destroy() or the end of the connection, and
// connect() also at connectTimeoutMs. With reusesReadBuffers it reads into the buffer shared by
// such connections (a CopyData payload lives until its listener returns). No TLS, passwords or
// extended query protocol here.
import { once } from 'node:events';
import { connect as connectSocket, type Socket } from 'node:net';
import { assert } from '../../common/assert.js';
import { AppError, describeError } from '../../common/errors.js';
import { decodeParameterStatus, type BackendKeyData } from './backend-messages.js';
import { decodeErrorResponse } from './error-response.js';
import { encodeCopyDataHeader } from './copy-messages.js';
import { FrameReader, type WireFrame } from './frame-reader.js';
import { encodeQuery, encodeStartupMessage, encodeTerminate } from './frontend-messages.js';
import { CarryBuffer, sharedReadBuffer } from './shared-read-buffer.js';
import {
  copyBothSession,
  copyBothStart,
  simpleQueryCollector,
  startupExchange,
  unexpectedMessage,
  type ClientOperation,
  type OperationContext,
  type QueryResult,
} from './wire-client-operations.js';
import { WireServerError } from './wire-server-error.js';

export { WireServerError } from './wire-server-error.js';
export type { QueryResult } from './wire-client-operations.js';

export interface WireClientOptions {
  host: string;
  port: number;
  parameters: Readonly<Record<string, string>>;
  /** Bounds the TCP connect and the startup exchange together. */
  connectTimeoutMs: number;
  /** Largest message length accepted from the server; DEFAULT_MAX_MESSAGE_BYTES if omitted. */
  maxMessageBytes?: number;
  /**
   * Read into the buffer shared by such connections (shared-read-buffer.ts) instead of a new
   * one per read: a CopyData payload is then valid only until its listener returns.
   */
  reusesReadBuffers?: boolean;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
/** The frame reader's limits must admit at least a startup header; messages this small are rare. */
const MIN_MESSAGE_LIMIT_BYTES = 8;
/** How long close() lets the server end the connection after Terminate before destroying it. */
const CLOSE_GRACE_MS = 1000;
const FATAL_SEVERITIES: ReadonlySet<string> = new Set(['FATAL', 'PANIC']);

type ConnectionState = 'open' | 'closing' | 'closed';
type CopyDataListener = (payload: Buffer) => void;
type CloseListener = (error: Error | undefined) => void;

export class WireClient {
  readonly #socket: Socket;
  readonly #reader: FrameReader;
  /** host:port, named in every error. */
  readonly #endpoint: string;
  #state: ConnectionState = 'open';
  #isConnected = false;
  #isClosedByUser = false;
  /** The first thing that went wrong; what onClose reports unless the user closed. */
  #failure: Error | undefined;
  #closeError: Error | undefined;
  #operation: ClientOperation | undefined;
  /** Set when CopyBoth started without a CopyData listener: frames wait, the socket is paused. */
  #isHoldingFrames = false;
  /** Set by pauseReading(): the socket is not read until resumeReading() (TCP backpressure). */
  #isReadingPaused = false;
  #closeTimer: NodeJS.Timeout | undefined;
  /** Aborted when the connection closed: ends the waits for drain. */
  readonly #closed = new AbortController();
  readonly #serverParameters = new Map<string, string>();
  #backendKey: BackendKeyData | undefined;
  readonly #copyListeners: CopyDataListener[] = [];
  readonly #closeListeners: CloseListener[] = [];
  /** Set for a connection that reads into the shared buffer: where unframed bytes wait. */
  readonly #carry: CarryBuffer | undefined;

  private constructor(
    socket: Socket,
    endpoint: string,
    maxMessageBytes: number,
    reusesReadBuffers: boolean,
  ) {
    this.#socket = socket;
    this.#endpoint = endpoint;
    const limits = { maxStartupBytes: maxMessageBytes, maxMessageBytes };
    this.#reader = new FrameReader(limits, 'messages', { isTransient: reusesReadBuffers });
    socket.setNoDelay(true);
    if (reusesReadBuffers) this.#carry = new CarryBuffer();
    else
      socket.on('data', (chunk: Buffer) => {
        this.#onBytesRead(chunk);
      });
    socket.on('error', (error) => {
      this.#failure ??= this.#socketError(error);
    });
    socket.on('close', () => this.#finish());
  }

  static connect(options: WireClientOptions): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      checkOptions(options);
      const startupMessage = encodeStartupMessage(options.parameters);
      const reusesReadBuffers = options.reusesReadBuffers ?? false;
      // Reads are only delivered once the client below exists (connect is asynchronous).
      const onread = {
        buffer: sharedReadBuffer,
        callback: (bytesRead: number, buffer: Uint8Array): boolean => {
          client.#onBytesRead(buffer.subarray(0, bytesRead));
          return true;
        },
      };
      const socket = connectSocket({
        host: options.host,
        port: options.port,
        ...(reusesReadBuffers ? { onread } : {}),
      });
      const endpoint = `${options.host}:${options.port}`;
      const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
      const client = new WireClient(socket, endpoint, maxMessageBytes, reusesReadBuffers);
      const timer = setTimeout(() => {
        const missing = client.#isConnected ? 'ReadyForQuery' : 'TCP connection';
        const reason = `no ${missing} within ${options.connectTimeoutMs} ms`;
        client.#fail(new AppError('timed-out', `could not connect to ${endpoint}: ${reason}`));
      }, options.connectTimeoutMs);
      socket.once('connect', () => {
        // A loopback connect to a closed port in the ephemeral range can be given that very
        // port as its own and connect to itself (TCP simultaneous open): treat it as refused,
        // and let go of the port at once, since a server wants to bind it.
        if (
          socket.localPort === socket.remotePort &&
          socket.localAddress === socket.remoteAddress
        ) {
          client.#fail(
            new AppError(
              'unavailable',
              `could not connect to ${endpoint}: connection refused (self-connect)`,
            ),
          );
          return;
        }
        client.#isConnected = true;
        socket.write(startupMessage);
      });
      const onReady = (): void => {
        clearTimeout(timer);
        resolve(client);
      };
      const onFailed = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      const context = client.#operationContext();
      client.#operation = startupExchange(
        context,
        (key) => (client.#backendKey = key),
        onReady,
        onFailed,
      );
    });
  }

  /** What the server reported with ParameterStatus (server_version, ...), kept up to date. */
  get serverParameters(): ReadonlyMap<string, string> {
    return this.#serverParameters;
  }

  get backendKey(): BackendKeyData | undefined {
    return this.#backendKey;
  }

  get isClosed(): boolean {
    return this.#state !== 'open';
  }

  /** Runs one statement; an ErrorResponse rejects with WireServerError once ReadyForQuery came. */
  simpleQuery(sql: string): Promise<QueryResult> {
    return new Promise((resolve, reject) => {
      const operation = simpleQueryCollector(this.#operationContext(), resolve, reject);
      this.#begin(operation, encodeQuery(sql));
    });
  }

  /** Sends `sql` and resolves once the server answered CopyBothResponse. */
  startCopyBoth(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onStarted = (): void => {
        const deliver = (payload: Buffer): void => this.#deliverCopyData(payload);
        this.#operation = copyBothSession(this.#operationContext(), deliver);
        if (this.#copyListeners.length === 0) {
          this.#isHoldingFrames = true;
          this.#socket.pause();
        }
        resolve();
      };
      this.#begin(copyBothStart(this.#operationContext(), onStarted, reject), encodeQuery(sql));
    });
  }

  /** Sends one CopyData (the payload is copied); returns false when the caller should wait for drain. */
  sendCopyData(payload: Uint8Array): boolean {
    return this.sendCopyDataParts([payload]);
  }

  /**
   * Sends one CopyData whose payload is the concatenation of `parts`, without copying them: a
   * 5-byte frame header, then each part, in one corked write.
   */
  sendCopyDataParts(parts: readonly Uint8Array[]): boolean {
    if (this.#state !== 'open') throw this.#closedError('send CopyData');
    if (!this.#isCopying()) {
      throw new AppError(
        'wrong-state',
        `cannot send CopyData to ${this.#endpoint}: not in COPY BOTH`,
      );
    }
    const header = encodeCopyDataHeader(parts.reduce((sum, part) => sum + part.length, 0));
    this.#socket.cork();
    let flowing = this.#socket.write(header);
    for (const part of parts) flowing = this.#socket.write(part);
    this.#socket.uncork();
    return flowing;
  }

  /** Resolves when the socket's write buffer drained; rejects when the connection ends first. */
  waitForDrain(): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(this.#closedError('wait for drain'));
    if (!this.#socket.writableNeedDrain) return Promise.resolve();
    return once(this.#socket, 'drain', { signal: this.#closed.signal }).then(
      () => undefined,
      (error: unknown) => {
        throw this.#closedError('wait for drain', this.#closeError ?? this.#failure ?? error);
      },
    );
  }

  /**
   * Receives every CopyData payload of COPY BOTH, in order. Register it before startCopyBoth or
   * right after it resolves: until the first listener exists, incoming frames wait unread.
   */
  onCopyData(listener: CopyDataListener): void {
    if (this.#state === 'closed') return;
    this.#copyListeners.push(listener);
    if (!this.#isHoldingFrames) return;
    this.#isHoldingFrames = false;
    if (!this.#isReadingPaused) this.#socket.resume();
    setImmediate(() => this.#processFrames());
  }

  /**
   * Stops reading from the socket (frames already received are still delivered), so that a
   * consumer slower than the server holds the server back through TCP instead of buffering.
   */
  pauseReading(): void {
    if (this.#state !== 'open' || this.#isReadingPaused) return;
    this.#isReadingPaused = true;
    this.#socket.pause();
  }

  resumeReading(): void {
    if (!this.#isReadingPaused) return;
    this.#isReadingPaused = false;
    if (this.#state === 'open' && !this.#isHoldingFrames) this.#socket.resume();
  }

  /** Called once when the connection ended: undefined after close()/destroy(), else the error. */
  onClose(listener: CloseListener): void {
    if (this.#state !== 'closed') this.#closeListeners.push(listener);
    else queueMicrotask(() => listener(this.#closeError));
  }

  /** Sends Terminate and ends the socket (destroyed after CLOSE_GRACE_MS); idempotent. */
  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#isClosedByUser = true;
    if (this.#isConnected && this.#socket.writable) {
      this.#socket.resume();
      this.#socket.end(encodeTerminate());
      this.#closeTimer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
    } else {
      this.#socket.destroy();
    }
  }

  destroy(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'open') this.#isClosedByUser = true;
    this.#state = 'closing';
    this.#socket.destroy();
  }

  #begin(operation: ClientOperation, message: Buffer): void {
    if (this.#state !== 'open') throw this.#closedError(`start ${operation.label}`);
    if (this.#operation !== undefined) {
      const busyWith = this.#operation.label;
      throw new AppError(
        'wrong-state',
        `cannot start ${operation.label} on ${this.#endpoint}: ${busyWith} is in progress`,
      );
    }
    this.#operation = operation;
    this.#socket.write(message);
  }

  #operationContext(): OperationContext {
    return {
      endpoint: this.#endpoint,
      serverError: (body) => this.#serverError(body),
      finish: () => {
        this.#operation = undefined;
      },
      fail: (error) => this.#fail(error),
    };
  }

  /** A chunk read from the socket (for a shared-buffer connection, valid during this call). */
  #onBytesRead(chunk: Uint8Array): void {
    if (this.#state !== 'open') return;
    this.#reader.push(chunk);
    this.#processFrames();
  }

  /** Dispatches every complete frame; a shared-buffer connection then carries the rest. */
  #processFrames(): void {
    this.#dispatchFrames();
    if (this.#carry !== undefined && this.#state === 'open')
      this.#reader.push(this.#carry.keep(this.#reader.takeRemainder()));
  }

  #dispatchFrames(): void {
    while (this.#state === 'open' && !this.#isHoldingFrames) {
      let frame: WireFrame | undefined;
      try {
        frame = this.#reader.next();
        if (frame === undefined) return;
        this.#dispatch(frame);
      } catch (error) {
        const reason = `protocol violation by server ${this.#endpoint}: ${describeError(error)}`;
        this.#fail(new AppError('internal', reason, { cause: error }));
      }
    }
  }

  #dispatch(frame: WireFrame): void {
    assert(frame.kind === 'message', 'a client reader yields messages only');
    if (frame.type === 'N' || frame.type === 'A') return;
    if (frame.type === 'S') {
      const { name, value } = decodeParameterStatus(frame.body);
      this.#serverParameters.set(name, value);
    } else if (this.#operation !== undefined) {
      this.#operation.handle(frame);
    } else if (frame.type === 'E') {
      this.#fail(this.#serverError(frame.body));
    } else {
      throw unexpectedMessage(frame, 'no request');
    }
  }

  #isCopying(): boolean {
    return this.#operation?.kind === 'copy-both';
  }

  #deliverCopyData(payload: Buffer): void {
    for (const listener of this.#copyListeners) {
      try {
        listener(payload);
      } catch (error) {
        const reason = `a CopyData listener of ${this.#endpoint} threw: ${describeError(error)}`;
        this.#fail(new AppError('internal', reason, { cause: error }));
        return;
      }
    }
  }

  /** A WireServerError; FATAL and PANIC ones also become the reason the connection ends. */
  #serverError(body: Buffer): WireServerError {
    const error = new WireServerError(decodeErrorResponse(body), this.#endpoint);
    if (FATAL_SEVERITIES.has(error.severity)) this.#failure ??= error;
    return error;
  }

  #socketError(error: Error): AppError {
    const reason = (error as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'refused' : 'failed';
    const message = this.#isConnected
      ? `connection to ${this.#endpoint} failed: ${error.message}`
      : `could not connect to ${this.#endpoint}: connection ${reason} (${error.message})`;
    return new AppError('unavailable', message, { cause: error });
  }

  #closedError(action: string, cause: unknown = this.#closeError): AppError {
    return new AppError(
      'wrong-state',
      `cannot ${action} on ${this.#endpoint}: the connection is closed`,
      cause === undefined ? {} : { cause },
    );
  }

  /** Ends the connection because of `error` (the first failure is the one reported). */
  #fail(error: Error): void {
    this.#failure ??= error;
    if (this.#state === 'open') this.#state = 'closing';
    this.#socket.destroy();
  }

  /** On the socket's close: settles everything still waiting and tells the close listeners. */
  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#closeTimer);
    const during = this.#isCopying() ? ' during COPY BOTH' : '';
    const error = this.#isClosedByUser
      ? undefined
      : (this.#failure ??
        new AppError(
          'unavailable',
          `connection to ${this.#endpoint} was closed by the server${during}`,
        ));
    this.#closeError = error;
    const waitError =
      error ??
      new AppError('unavailable', `connection to ${this.#endpoint} was closed by the client`);
    const operation = this.#operation;
    this.#operation = undefined;
    operation?.fail(waitError);
    this.#closed.abort();
    this.#copyListeners.length = 0;
    for (const listener of this.#closeListeners.splice(0)) listener(error);
  }
}

function checkOptions(options: WireClientOptions): void {
  if (!(options.connectTimeoutMs > 0)) {
    throw new AppError('usage', `invalid connect timeout ${options.connectTimeoutMs} ms`);
  }
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < MIN_MESSAGE_LIMIT_BYTES) {
    throw new AppError(
      'usage',
      `invalid message limit ${maxMessageBytes} bytes: at least ${MIN_MESSAGE_LIMIT_BYTES}`,
    );
  }
}
