// One timeline on the pageserver: its state file, its local WAL, the source it streams from and
// its checkpoints. The receive loop (receiver/receive-loop.ts) drives the streaming through the
// methods below; checkpoint() uploads what is durable and only then persists and reports the
// new uploaded_lsn. Broken (corrupt files, WAL that does not decode) is final until a restart.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AsyncMutex } from '../../common/async-mutex.js';
import { AppError, describeError } from '../../common/errors.js';
import type { TenantId, TimelineId } from '../../common/hex-id.js';
import type { NodeId } from '../../common/ids.js';
import type { Logger } from '../../common/log.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import type {
  PageserverCheckpointDocument,
  PageserverTimelineDocument,
  PageserverTimelineStateName,
} from '../../protocol/pageserver-status.js';
import { checkpointTimeline } from '../checkpoint/checkpoint-timeline.js';
import type { ObjectStore } from '../checkpoint/object-store.js';
import type { SafekeeperEndpoint } from '../config.js';
import type { FeedbackPositions } from '../receiver/feedback-messages.js';
import { SourcePenalties } from '../receiver/source-penalties.js';
import type { SourceCandidate } from '../receiver/source-selection.js';
import type { StreamSink, WalStream } from '../receiver/wal-stream.js';
import { WRITE_QUEUE_MAX_BYTES } from '../limits.js';
import { LocalWal } from '../wal/local-wal.js';
import { LsnWaiters, type TimelinePositionName } from './lsn-waiters.js';
import type { TimelineObserver } from './timeline-observer.js';
import { WakeSignal } from './wake-signal.js';
import {
  readTimelineState,
  writeTimelineState,
  type TimelineState,
} from './timeline-state-file.js';

export interface TimelineDeps {
  readonly noSync: boolean;
  readonly endpoints: readonly SafekeeperEndpoint[];
  readonly store: ObjectStore | undefined;
  readonly log: Logger;
  readonly observer: TimelineObserver;
}

function emptyState(ids: { tenantId: TenantId; timelineId: TimelineId }): TimelineState {
  return { ...ids, segmentSizeBytes: 0, startLsn: 0n, uploadedLsn: 0n };
}

export class PageserverTimeline implements StreamSink {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly dir: string;
  readonly deps: TimelineDeps;
  readonly log: Logger;
  #state: TimelineState;
  #wal: LocalWal | undefined;
  #brokenReason: string | undefined;
  status: PageserverTimelineStateName = 'no-safekeeper';
  lastError: string | null = null;
  #lastCheckpointAt: Date | null = null;
  #source: { readonly id: NodeId; readonly since: Date } | undefined;
  #stream: WalStream | undefined;
  /** What the last discovery round saw about this timeline. */
  candidates: readonly SourceCandidate[] = [];
  readonly penalties = new SourcePenalties();
  readonly #checkpointLock = new AsyncMutex();
  readonly #wakeSignal = new WakeSignal();
  readonly #lsnWaiters = new LsnWaiters((name) => this.#position(name));

  private constructor(
    ids: { tenantId: TenantId; timelineId: TimelineId },
    dir: string,
    state: TimelineState,
    deps: TimelineDeps,
  ) {
    this.tenantId = ids.tenantId;
    this.timelineId = ids.timelineId;
    this.dir = dir;
    this.#state = state;
    this.deps = deps;
    this.log = deps.log.child({ tenant: ids.tenantId, timeline: ids.timelineId });
  }

  static async create(
    dataDir: string,
    ids: { tenantId: TenantId; timelineId: TimelineId },
    deps: TimelineDeps,
  ): Promise<PageserverTimeline> {
    const dir = join(dataDir, ids.tenantId, ids.timelineId);
    await mkdir(dir, { recursive: true });
    const state = emptyState(ids);
    await writeTimelineState(dir, state, deps.noSync);
    return new PageserverTimeline(ids, dir, state, deps);
  }

  /** Loads a timeline from its directory; files that cannot be read make it broken. */
  static async load(
    dataDir: string,
    ids: { tenantId: TenantId; timelineId: TimelineId },
    deps: TimelineDeps,
  ): Promise<PageserverTimeline> {
    const dir = join(dataDir, ids.tenantId, ids.timelineId);
    let timeline = new PageserverTimeline(ids, dir, emptyState(ids), deps);
    try {
      const state = await readTimelineState(dir);
      if (state.tenantId !== ids.tenantId || state.timelineId !== ids.timelineId)
        throw new AppError('integrity', `timeline state in ${dir} names another timeline`);
      timeline = new PageserverTimeline(ids, dir, state, deps);
      if (state.startLsn !== 0n) timeline.#wal = await timeline.#openWal(state);
    } catch (error) {
      timeline.markBroken(error);
    }
    return timeline;
  }

  async #openWal(state: TimelineState): Promise<LocalWal> {
    const wal = await LocalWal.open({
      dir: this.dir,
      segmentSizeBytes: state.segmentSizeBytes,
      startLsn: state.startLsn,
      noSync: this.deps.noSync,
    });
    wal.onWritten(() => this.onWalWritten());
    return wal;
  }

  get isBroken(): boolean {
    return this.#brokenReason !== undefined;
  }

  get wal(): LocalWal | undefined {
    return this.#wal;
  }

  get uploadedLsn(): Lsn {
    return this.#state.uploadedLsn;
  }

  get segmentSizeBytes(): number | undefined {
    return this.#state.segmentSizeBytes === 0 ? undefined : this.#state.segmentSizeBytes;
  }

  markBroken(error: unknown): void {
    if (this.#brokenReason !== undefined) return;
    this.#brokenReason = describeError(error);
    this.status = 'broken';
    this.lastError = this.#brokenReason;
    this.log.error({ err: this.#brokenReason }, 'timeline is broken');
    this.#stream?.close();
    this.wake();
  }

  /** The local WAL, created at `startLsn` (the timeline's start) on the first stream. */
  async ensureWal(startLsn: Lsn, segmentSizeBytes: number): Promise<LocalWal> {
    if (this.#wal !== undefined) return this.#wal;
    const state: TimelineState = { ...this.#state, segmentSizeBytes, startLsn };
    await writeTimelineState(this.dir, state, this.deps.noSync);
    this.#state = state;
    this.#wal = await this.#openWal(state);
    this.log.info({ startLsn: formatLsn(startLsn), segmentSizeBytes }, 'local WAL created');
    return this.#wal;
  }

  // ---- the receive loop's hooks ----

  attachStream(stream: WalStream, sourceId: NodeId): void {
    if (this.#source?.id !== sourceId) {
      this.#source = { id: sourceId, since: new Date() };
      this.deps.observer.observeSourceSwitch();
    }
    this.#stream = stream;
    this.status = 'streaming';
    stream.sendFeedback();
  }

  detachStream(): void {
    this.#stream = undefined;
    if (!this.isBroken) this.status = 'connecting';
  }

  get sourceId(): NodeId | undefined {
    return this.#source?.id;
  }

  clearSource(): void {
    this.#source = undefined;
  }

  /** Ends the current stream (a better source was found); the loop picks the next one. */
  dropStream(reason: string): void {
    if (this.#stream === undefined) return;
    this.log.info({ source: this.#source?.id, reason }, 'leaving source');
    this.#stream.close();
  }

  /** The receive loop waits here between attempts; wake() ends the wait early. */
  waitForWake(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.#wakeSignal.wait(timeoutMs, signal);
  }

  wake(): void {
    this.#wakeSignal.wake();
  }

  // ---- StreamSink ----

  receive(lsn: Lsn, bytes: Buffer): void {
    const wal = this.#wal;
    if (wal === undefined)
      throw new AppError('internal', 'WAL received before the local WAL exists');
    try {
      wal.append(lsn, bytes);
    } catch (error) {
      if ((error as AppError).code === 'integrity') this.markBroken(error);
      throw error;
    }
    this.deps.observer.observeReceivedBytes(bytes.length);
    if (wal.queuedBytes > WRITE_QUEUE_MAX_BYTES) this.#stream?.pauseReading();
    this.#stream?.sendFeedback();
    this.#lsnWaiters.check();
  }

  /** After each local write batch: durable may have moved, the queue may have room again. */
  onWalWritten(): void {
    const wal = this.#wal;
    if (wal === undefined) return;
    if (wal.failure !== undefined) {
      this.markBroken(wal.failure);
      return;
    }
    if (wal.queuedBytes <= WRITE_QUEUE_MAX_BYTES / 2) this.#stream?.resumeReading();
    this.#stream?.sendFeedback();
    this.#lsnWaiters.check();
  }

  /** Resolves true once the position reaches `targetLsn`, false if `signal` aborts first. */
  waitForPosition(
    name: TimelinePositionName,
    targetLsn: Lsn,
    signal: AbortSignal,
  ): Promise<boolean> {
    return this.#lsnWaiters.wait(name, targetLsn, signal);
  }

  #position(name: TimelinePositionName): Lsn {
    if (name === 'uploaded_lsn') return this.#state.uploadedLsn;
    const wal = this.#wal;
    if (wal === undefined) return 0n;
    return name === 'received_lsn' ? wal.receivedLsn : wal.durableLsn;
  }

  positions(): FeedbackPositions {
    const wal = this.#wal;
    return {
      receivedLsn: wal?.receivedLsn ?? 0n,
      durableLsn: wal?.durableLsn ?? 0n,
      uploadedLsn: this.#state.uploadedLsn,
      localWalBytes: wal === undefined ? 0n : wal.receivedLsn - wal.startLsn,
    };
  }

  // ---- checkpoints ----

  /** Uploads what is durable; resolves after the new uploaded_lsn is persisted and reported. */
  checkpoint(): Promise<PageserverCheckpointDocument> {
    const store = this.deps.store;
    if (store === undefined)
      return Promise.reject(
        new AppError('wrong-state', 'the pageserver has no remote storage to checkpoint to', {
          hints: ['Start the pageserver with --remote-storage.'],
        }),
      );
    return this.#checkpointLock.run(() => this.#checkpoint(store));
  }

  async #checkpoint(store: ObjectStore): Promise<PageserverCheckpointDocument> {
    if (this.#brokenReason !== undefined)
      throw new AppError(
        'integrity',
        `timeline ${this.tenantId}/${this.timelineId} is broken: ${this.#brokenReason}`,
      );
    const wal = this.#wal;
    if (wal === undefined) {
      this.#lastCheckpointAt = new Date();
      return { uploaded_lsn: formatLsn(this.#state.uploadedLsn), objects: 0, bytes: 0 };
    }
    const begunAt = performance.now();
    let totals;
    try {
      const done = await checkpointTimeline({
        wal,
        state: this.#state,
        store,
        dir: this.dir,
        noSync: this.deps.noSync,
        log: this.log,
      });
      this.#state = done.state;
      totals = done.totals;
    } catch (error) {
      this.deps.observer.observeCheckpoint('error', 0, (performance.now() - begunAt) / 1000);
      throw error;
    }
    this.#lastCheckpointAt = new Date();
    this.deps.observer.observeCheckpoint('ok', totals.bytes, (performance.now() - begunAt) / 1000);
    this.#stream?.sendFeedbackNow();
    this.#lsnWaiters.check();
    if (totals.objects > 0)
      this.log.info(
        { uploadedLsn: formatLsn(this.#state.uploadedLsn), ...totals },
        'checkpoint uploaded',
      );
    return { uploaded_lsn: formatLsn(this.#state.uploadedLsn), ...totals };
  }

  document(): PageserverTimelineDocument {
    const positions = this.positions();
    return {
      tenant_id: this.tenantId,
      timeline_id: this.timelineId,
      received_lsn: formatLsn(positions.receivedLsn),
      durable_lsn: formatLsn(positions.durableLsn),
      uploaded_lsn: formatLsn(positions.uploadedLsn),
      source:
        this.#source === undefined || this.status !== 'streaming'
          ? null
          : { safekeeper_id: this.#source.id, since: this.#source.since.toISOString() },
      state: this.status,
      last_error: this.lastError,
      last_checkpoint_at: this.#lastCheckpointAt?.toISOString() ?? null,
    };
  }

  async close(): Promise<void> {
    this.#stream?.close();
    await this.#checkpointLock.run(() => this.#wal?.close());
  }
}
