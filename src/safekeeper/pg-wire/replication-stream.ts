// START_REPLICATION as a long-lived CopyBoth stream: after CopyBothResponse a sender task writes
// what its WalStreamSource yields (awaiting the socket's drain: a client that stops reading stops
// it) while the connection's pump hands the client's frames here. CopyData 'r' (standby status),
// 'h' (hot-standby feedback) and 'z' (pageserver feedback) are decoded and handed to the stream's
// feedback sink; a malformed one is ignored with a warning; any other kind is a protocol
// violation (FATAL). It ends with CopyDone when the source is complete or the client sent
// CopyDone, silently when the connection is gone; it must not decide what WAL is sent.
import { assert } from '../../common/assert.js';
import { AppError, isAppError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { formatLsn } from '../../postgres/lsn.js';
import { encodeCopyBothResponse, encodeCopyDone } from '../../postgres/wire/backend-messages.js';
import {
  decodeHotStandbyFeedback,
  decodeStandbyStatusUpdate,
  REPLICATION_TAGS,
  type StandbyHotStandbyFeedback,
  type StandbyStatusUpdate,
} from '../../postgres/wire/replication-messages.js';
import {
  decodeNeonFeedbackMessage,
  NEON_FEEDBACK_TAG,
} from '../../protocol/neon-feedback-message.js';
import type { PageserverFeedback } from '../../protocol/proposer-messages.js';
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

/** Where a stream's client feedback goes (the replica registry, remote_consistent_lsn). */
export interface ReplicaFeedbackSink {
  standbyStatus(status: StandbyStatusUpdate): void;
  hotStandbyFeedback(feedback: StandbyHotStandbyFeedback): void;
  /** May wait (the timeline lock); the next client frame is read after it. */
  pageserverFeedback(feedback: PageserverFeedback): Promise<void>;
}

/**
 * `streaming` until the source is complete (`done`), the client sent CopyDone (`stopping`, then
 * `done`), or the mode or connection is over (`closed`).
 */
type StreamState = 'created' | 'streaming' | 'stopping' | 'done' | 'closed';

const DONE = Promise.resolve();
const STANDBY_STATUS_TAG = REPLICATION_TAGS.standbyStatusUpdate.charCodeAt(0);
const HOT_STANDBY_TAG = REPLICATION_TAGS.hotStandbyFeedback.charCodeAt(0);
const PAGESERVER_FEEDBACK_TAG = NEON_FEEDBACK_TAG.charCodeAt(0);
const COMMAND_TAG = 'START_REPLICATION';
/** Malformed feedback messages logged per stream; later ones are counted only. */
const MALFORMED_WARNINGS_MAX = 10;

export class ReplicationStream implements ModeHandler {
  private state: StreamState = 'created';
  private latestStatus: StandbyStatusUpdate | undefined;
  private readonly stopping = new AbortController();
  private end: (outcome: ModeEnd) => void = () => undefined;
  private sender: Promise<void> = DONE;
  private malformedCount = 0;

  constructor(
    private readonly connection: WireConnection,
    private readonly source: WalStreamSource,
    private readonly log: Logger,
    private readonly feedback?: ReplicaFeedbackSink,
  ) {}

  /** Malformed feedback messages ignored so far. */
  get malformedFeedbackCount(): number {
    return this.malformedCount;
  }

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
          return this.onCopyData(frame.body);
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

  private onCopyData(payload: Buffer): Promise<void> {
    try {
      switch (payload[0]) {
        case STANDBY_STATUS_TAG:
          this.onStandbyStatus(decodeStandbyStatusUpdate(payload));
          return DONE;
        case HOT_STANDBY_TAG:
          this.feedback?.hotStandbyFeedback(decodeHotStandbyFeedback(payload));
          return DONE;
        case PAGESERVER_FEEDBACK_TAG:
          return this.feedback?.pageserverFeedback(decodeNeonFeedbackMessage(payload)) ?? DONE;
      }
    } catch (error) {
      // A replica's malformed feedback changes nothing; the WAL it is sent stays right.
      if (!isAppError(error) || error.code !== 'usage') throw error;
      this.onMalformed(error);
      return DONE;
    }
    const kind = payload.length === 0 ? 'an empty CopyData' : describeKind(payload[0] as number);
    throw new AppError(
      'usage',
      `unsupported replication message: ${kind} during ${COMMAND_TAG}; this safekeeper reads standby status updates ('r'), hot-standby feedback ('h') and pageserver feedback ('z')`,
    );
  }

  private onStandbyStatus(status: StandbyStatusUpdate): void {
    this.latestStatus = status;
    this.feedback?.standbyStatus(status);
    this.log.debug(
      { writeLsn: formatLsn(status.writeLsn), flushLsn: formatLsn(status.flushLsn) },
      'standby status update',
    );
  }

  private onMalformed(error: AppError): void {
    this.malformedCount++;
    if (this.malformedCount <= MALFORMED_WARNINGS_MAX)
      this.log.warn(
        { err: error.message, count: this.malformedCount },
        this.malformedCount === MALFORMED_WARNINGS_MAX
          ? 'malformed replica feedback ignored (further ones are not logged)'
          : 'malformed replica feedback ignored',
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
