// One replication connection to one safekeeper: startup with ztenantid/ztimelineid and
// application_name=pageserver, START_REPLICATION PHYSICAL X/X, then XLogData ('w') handed to
// the sink and keepalives ('k') answered with feedback when they ask for it. Feedback ('z' and
// 'r') is coalesced: at most one pair per FEEDBACK_INTERVAL_MS. The stream ends at the first
// error (connection, protocol, integrity), after STREAM_IDLE_TIMEOUT_MS without a message (one
// interval timer checks the time of the last message: nothing is re-armed per frame), or at
// close(); `ended` tells why (undefined after close()).
import { AppError, asError, describeError } from '../../common/errors.js';
import type { TenantId, TimelineId } from '../../common/hex-id.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  decodePrimaryKeepalive,
  decodeXLogData,
  REPLICATION_TAGS,
} from '../../postgres/wire/replication-messages.js';
import { WireClient } from '../../postgres/wire/wire-client.js';
import type { SafekeeperEndpoint } from '../config.js';
import {
  CONNECT_TIMEOUT_MS,
  REPLICATION_MESSAGE_MAX_BYTES,
  STREAM_IDLE_TIMEOUT_MS,
  FEEDBACK_INTERVAL_MS,
} from '../limits.js';
import {
  encodeNeonFeedback,
  encodeStandbyStatus,
  type FeedbackPositions,
} from './feedback-messages.js';

export const PAGESERVER_APPLICATION_NAME = 'pageserver';
const XLOG_DATA_TAG = REPLICATION_TAGS.xLogData.charCodeAt(0);
const KEEPALIVE_TAG = REPLICATION_TAGS.primaryKeepalive.charCodeAt(0);
/** The idle check runs this many times per STREAM_IDLE_TIMEOUT_MS (so it fires within +25%). */
const IDLE_CHECKS_PER_TIMEOUT = 4;

/** Where the stream's WAL goes and where its feedback comes from. */
export interface StreamSink {
  /**
   * Takes WAL at `lsn`: a view of the connection's read buffer, valid only during the call (the
   * next read reuses it), so the sink copies what it keeps. A throw ends the stream with that
   * error.
   */
  receive(lsn: Lsn, bytes: Buffer): void;
  positions(): FeedbackPositions;
}

export interface WalStreamOptions {
  readonly endpoint: SafekeeperEndpoint;
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly startLsn: Lsn;
  readonly sink: StreamSink;
  /** Ends a START_REPLICATION still waiting for its answer (the daemon is stopping). */
  readonly signal: AbortSignal;
}

export class WalStream {
  readonly #client: WireClient;
  readonly #sink: StreamSink;
  readonly #what: string;
  #feedbackScheduled = false;
  #feedbackTimer: NodeJS.Timeout | undefined;
  #lastFeedbackAtMs = Number.NEGATIVE_INFINITY;
  #idleTimer: NodeJS.Timeout | undefined;
  #lastMessageAtMs = performance.now();
  #failure: Error | undefined;
  #resolveEnded: (error: Error | undefined) => void = () => undefined;
  /** Settles once when the connection is gone: the error, or undefined after close(). */
  readonly ended: Promise<Error | undefined>;

  private constructor(client: WireClient, options: WalStreamOptions) {
    this.#client = client;
    this.#sink = options.sink;
    this.#what = `replication from safekeeper ${options.endpoint.id}`;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    client.onClose((error) => {
      clearInterval(this.#idleTimer);
      clearTimeout(this.#feedbackTimer);
      this.#resolveEnded(this.#failure ?? error);
    });
    client.onCopyData((payload) => this.#onCopyData(payload));
    this.#startIdleCheck();
  }

  /** Connects and starts streaming at `startLsn`; rejects when the safekeeper refuses. */
  static async open(options: WalStreamOptions): Promise<WalStream> {
    const { endpoint } = options;
    const client = await WireClient.connect({
      host: endpoint.host,
      port: endpoint.pgPort,
      parameters: {
        ztenantid: options.tenantId,
        ztimelineid: options.timelineId,
        application_name: PAGESERVER_APPLICATION_NAME,
      },
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      maxMessageBytes: REPLICATION_MESSAGE_MAX_BYTES,
      reusesReadBuffers: true,
    });
    const command = `START_REPLICATION PHYSICAL ${formatLsn(options.startLsn)}`;
    // A safekeeper that accepted the connection but never answers (SIGSTOP) must not hold the
    // timeline: the answer is bounded like the connect, and stopping the daemon ends the wait.
    const answer = { isTimedOut: false };
    const timer = setTimeout(() => {
      answer.isTimedOut = true;
      client.destroy();
    }, CONNECT_TIMEOUT_MS);
    const onAbort = (): void => client.destroy();
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await client.startCopyBoth(command);
    } catch (error) {
      client.destroy();
      throw answer.isTimedOut
        ? new AppError(
            'timed-out',
            `safekeeper ${endpoint.id} did not answer ${command} within ${CONNECT_TIMEOUT_MS} ms`,
          )
        : new AppError(
            'unavailable',
            `safekeeper ${endpoint.id} refused ${command}: ${describeError(error)}`,
            { cause: error },
          );
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    }
    return new WalStream(client, options);
  }

  /** Ends the stream once STREAM_IDLE_TIMEOUT_MS passed without a message (checked 4x as often). */
  #startIdleCheck(): void {
    this.#idleTimer = setInterval(() => {
      const silentMs = performance.now() - this.#lastMessageAtMs;
      if (silentMs < STREAM_IDLE_TIMEOUT_MS) return;
      this.#fail(
        new AppError(
          'timed-out',
          `${this.#what}: nothing received for ${STREAM_IDLE_TIMEOUT_MS} ms`,
        ),
      );
    }, STREAM_IDLE_TIMEOUT_MS / IDLE_CHECKS_PER_TIMEOUT);
  }

  #onCopyData(payload: Buffer): void {
    if (this.#failure !== undefined) return;
    this.#lastMessageAtMs = performance.now();
    try {
      const tag = payload[0];
      if (tag === XLOG_DATA_TAG) {
        const data = decodeXLogData(payload);
        if (data.bytes.length > 0) this.#sink.receive(data.walStartLsn, data.bytes);
      } else if (tag === KEEPALIVE_TAG) {
        const keepalive = decodePrimaryKeepalive(payload);
        if (keepalive.replyRequested) this.sendFeedbackNow();
      } else {
        throw new AppError(
          'internal',
          `${this.#what}: unexpected message tag 0x${(tag ?? 0).toString(16).padStart(2, '0')}`,
        );
      }
    } catch (error) {
      this.#fail(asError(error));
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#client.destroy();
  }

  /**
   * Sends 'z' and 'r' with the sink's positions soon: coalesced, and at most once per
   * FEEDBACK_INTERVAL_MS while WAL streams in (one pair per received frame would cost the
   * safekeeper as much as the WAL itself). What must be reported at once uses sendFeedbackNow.
   */
  sendFeedback(): void {
    if (this.#feedbackScheduled) return;
    this.#feedbackScheduled = true;
    const sinceLastMs = performance.now() - this.#lastFeedbackAtMs;
    const delayMs = Math.max(0, FEEDBACK_INTERVAL_MS - sinceLastMs);
    this.#feedbackTimer = setTimeout(() => {
      this.#feedbackScheduled = false;
      this.sendFeedbackNow();
    }, delayMs);
  }

  /** Sends 'z' and 'r' at once (a keepalive asked, or a checkpoint must be reported now). */
  sendFeedbackNow(): void {
    if (this.#client.isClosed) return;
    this.#lastFeedbackAtMs = performance.now();
    const positions = this.#sink.positions();
    try {
      this.#client.sendCopyData(encodeNeonFeedback(positions));
      this.#client.sendCopyData(encodeStandbyStatus(positions));
    } catch (error) {
      this.#fail(asError(error));
    }
  }

  pauseReading(): void {
    this.#client.pauseReading();
  }

  resumeReading(): void {
    this.#client.resumeReading();
  }

  close(): void {
    clearInterval(this.#idleTimer);
    clearTimeout(this.#feedbackTimer);
    this.#client.close();
  }
}
