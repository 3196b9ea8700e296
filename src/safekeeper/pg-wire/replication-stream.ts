// START_REPLICATION as a long-lived CopyBoth stream: after CopyBothResponse a sender task writes
// what its WalStreamSource yields while the connection's pump hands the client's frames here.
// CopyData 'r' (standby status update) is decoded and the latest kept; any other kind is a
// protocol violation (FATAL). It ends with CopyDone when the source is complete or the client
// sent CopyDone, silently when the connection is gone; it must not decide what WAL is sent.
import { assert } from '../../common/assert.js';
import { AppError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { formatLsn } from '../../postgres/lsn.js';
import { encodeCopyBothResponse, encodeCopyDone } from '../../postgres/wire/backend-messages.js';
import {
  decodeStandbyStatusUpdate,
  REPLICATION_TAGS,
  type StandbyStatusUpdate,
} from '../../postgres/wire/replication-messages.js';
import { unexpectedFrame, type ModeEnd, type ModeHandler } from './mode-handler.js';
import type { WireConnection } from './wire-connection.js';

/** What a replication stream sends: whole frames (CopyData with XLogData or keepalives). */
export interface WalStreamSource {
  /**
   * The frames to send next, or undefined once the stream is complete. `signal` aborts when the
   * stream stops (client CopyDone, connection gone): a source that waits must stop waiting.
   */
  next(signal: AbortSignal): Promise<readonly Uint8Array[] | undefined>;
  /** Releases what the source holds; called once, after its last next(). */
  close(): Promise<void>;
}

/**
 * `streaming` until the source is complete (`done`), the client sent CopyDone (`stopping`, then
 * `done`), or the mode or connection is over (`closed`).
 */
type StreamState = 'created' | 'streaming' | 'stopping' | 'done' | 'closed';

const DONE = Promise.resolve();
const STANDBY_STATUS_TAG = REPLICATION_TAGS.standbyStatusUpdate.charCodeAt(0);
const COMMAND_TAG = 'START_REPLICATION';

export class ReplicationStream implements ModeHandler {
  private state: StreamState = 'created';
  private latestStatus: StandbyStatusUpdate | undefined;
  private readonly stopping = new AbortController();
  private end: (outcome: ModeEnd) => void = () => undefined;
  private sender: Promise<void> = DONE;

  constructor(
    private readonly connection: WireConnection,
    private readonly source: WalStreamSource,
    private readonly log: Logger,
  ) {}

  /** The client's latest standby status update on this connection. */
  get standbyStatus(): StandbyStatusUpdate | undefined {
    return this.latestStatus;
  }

  /** Settles once the sender task has finished and the source is closed. */
  get finished(): Promise<void> {
    return this.sender;
  }

  async begin(end: (outcome: ModeEnd) => void): Promise<void> {
    assert(this.state === 'created' || this.state === 'closed', 'a stream begins once');
    this.end = end;
    if (this.state === 'created') this.state = 'streaming';
    await this.connection.write([encodeCopyBothResponse()]);
    this.sender = this.send();
  }

  step(): Promise<void> {
    const frame = this.connection.take();
    if (frame.kind === 'message') {
      switch (frame.type) {
        case 'd':
          this.onCopyData(frame.body);
          return DONE;
        case 'c':
          this.onClientDone();
          return DONE;
        case 'X':
          this.end({ kind: 'terminate' });
          return DONE;
      }
    }
    throw unexpectedFrame(frame, `during ${COMMAND_TAG}`);
  }

  close(): void {
    this.state = 'closed';
    this.stopping.abort();
  }

  private onCopyData(payload: Buffer): void {
    if (payload[0] === STANDBY_STATUS_TAG) {
      const status = decodeStandbyStatusUpdate(payload);
      this.latestStatus = status;
      this.log.debug(
        { writeLsn: formatLsn(status.writeLsn), flushLsn: formatLsn(status.flushLsn) },
        'standby status update',
      );
      return;
    }
    const kind = payload.length === 0 ? 'an empty CopyData' : describeKind(payload[0] as number);
    throw new AppError(
      'usage',
      `unsupported replication message: ${kind} during ${COMMAND_TAG}; this safekeeper reads standby status updates ('r')`,
    );
  }

  /** The client's CopyDone: stop sending and answer with ours (or it answers ours: nothing). */
  private onClientDone(): void {
    if (this.state !== 'streaming') return;
    this.state = 'stopping';
    this.stopping.abort();
  }

  /** A method, not a field test: the state changes while the sender awaits. */
  private isStreaming(): boolean {
    return this.state === 'streaming';
  }

  /** Never rejects: how the stream ended goes to `end`. */
  private async send(): Promise<void> {
    let failure: { readonly error: unknown } | undefined;
    try {
      while (this.isStreaming()) {
        const frames = await this.source.next(this.stopping.signal);
        // The client's CopyDone or the close may have come during the wait.
        if (frames === undefined || !this.isStreaming()) break;
        await this.connection.write(frames);
      }
    } catch (error) {
      // A source that stops waiting because the stream stops is no failure.
      if (this.isStreaming()) failure = { error };
    }
    try {
      await this.source.close();
    } catch (error) {
      failure ??= { error };
    }
    if (this.state === 'closed') return;
    this.state = 'done';
    if (failure !== undefined) {
      this.end({ kind: 'failed', error: failure.error });
      return;
    }
    await this.connection.write([encodeCopyDone()]);
    this.end({ kind: 'complete', commandTag: COMMAND_TAG });
  }
}

function describeKind(kind: number): string {
  const shown =
    kind >= 0x21 && kind <= 0x7e
      ? `'${String.fromCharCode(kind)}'`
      : `0x${kind.toString(16).padStart(2, '0')}`;
  return `kind ${shown}`;
}
