// The offload task of one timeline (neon-reference §3): while complete segments are left to
// upload and this safekeeper holds their WAL, campaign in the timeline's election; as leader,
// upload the segments in LSN order (bounded parallelism, completion in order), confirming
// leadership before each, and advance backup_lsn after each; resign once nothing is left. Wakes
// on the timeline's change events, never by polling. Returns when nothing is left, or when
// `signal` aborts or the timeline closes.
import type { Etcd3 } from 'etcd3';
import { sleepMs } from '../../common/deadline.js';
import { AppError, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { formatLsn } from '../../postgres/lsn.js';
import { segmentFileName, type SegmentNumber } from '../../postgres/segment-name.js';
import type { Timeline } from '../timeline/timeline.js';
import { findSegment } from '../wal/segment-files.js';
import type { EtcdHolder } from '../broker/etcd-connection.js';
import { runInOrder } from './in-order-jobs.js';
import { campaign, LeadershipLostError, type Leadership } from './offload-election.js';
import {
  candidateValue,
  checkEligibility,
  electionName,
  pendingSegments,
  segmentEndLsn,
  segmentObjectKey,
  uploadBackoffMs,
  BucketProbe,
  type PendingSegments,
} from './offload-plan.js';
import { OffloadState, type WalBackupObserver } from './offload-state.js';
import { nextChange, untilClosed } from './timeline-waits.js';
import type { SegmentUploader } from './segment-uploader.js';

/** Pause before campaigning again after an etcd failure (neon: 1 s). */
export const ETCD_RETRY_MS = 1000;
/** A leader with nothing left waits this long for the next segment, while a compute is connected, before resigning. */
export const LEADER_IDLE_BEFORE_RESIGN_MS = 3000;

export interface OffloadContext {
  readonly nodeId: number;
  readonly etcdPrefix: string;
  readonly ttlSeconds: number;
  readonly parallelJobs: number;
  readonly prefixInBucket: string | undefined;
  readonly etcd: EtcdHolder;
  readonly uploader: SegmentUploader;
  readonly observer: WalBackupObserver;
}

class NothingToUpload extends Error {
  constructor() {
    super('nothing left to upload');
  }
}

export class TimelineOffload {
  readonly state: OffloadState;
  private wakeController = new AbortController();
  private readonly log: Logger;

  constructor(
    readonly timeline: Timeline,
    private readonly context: OffloadContext,
    log: Logger,
  ) {
    this.log = log;
    this.state = new OffloadState(log, context.observer);
  }

  private get segmentSizeBytes(): number {
    return this.timeline.state.server.walSegSize;
  }

  pending(): PendingSegments | undefined {
    const { commitLsn, backupLsn } = this.timeline.inmemLsns;
    return pendingSegments({ commitLsn, backupLsn, segmentSizeBytes: this.segmentSizeBytes });
  }

  /** Ends a backoff or retry pause now (the offload route). */
  wake(): void {
    const previous = this.wakeController;
    this.wakeController = new AbortController();
    previous.abort();
  }

  async run(signal: AbortSignal): Promise<void> {
    const runDone = new AbortController();
    const closed = untilClosed(this.timeline, AbortSignal.any([signal, runDone.signal]));
    const stop = AbortSignal.any([signal, closed]);
    try {
      while (!stop.aborted) {
        const pending = this.pending();
        if (pending === undefined) return;
        if (!(await this.checkEligible(pending))) {
          this.state.setPhase('ineligible');
          await nextChange(this.timeline, AbortSignal.any([stop, this.wakeController.signal]));
          continue;
        }
        const leadership = await this.campaignOnce(stop);
        if (leadership !== undefined) await this.leadThenResign(leadership, stop);
      }
    } finally {
      runDone.abort();
      this.state.setPhase('idle');
    }
  }

  private async checkEligible(pending: PendingSegments): Promise<boolean> {
    const state = this.timeline.state;
    const first = await findSegment(this.timeline.dir, pending.fromSegno, this.segmentSizeBytes);
    const eligibility = checkEligibility({
      segmentSizeBytes: this.segmentSizeBytes,
      localStartLsn: state.localStartLsn,
      backupLsn: this.timeline.inmemLsns.backupLsn,
      firstSegmentPresent: first !== undefined,
    });
    this.state.setEligibility(
      eligibility.eligible,
      eligibility.eligible ? null : eligibility.reason,
    );
    return eligibility.eligible;
  }

  /** One campaign: the leadership, or undefined (nothing left, stopped, or etcd failed). */
  private async campaignOnce(stop: AbortSignal): Promise<Leadership | undefined> {
    const idle = new AbortController();
    const unsubscribe = this.timeline.events.subscribe(() => {
      if (this.pending() === undefined) idle.abort(new NothingToUpload());
    });
    const campaignStop = AbortSignal.any([stop, idle.signal]);
    this.state.setPhase('campaigning');
    let etcd: Etcd3 | undefined;
    try {
      etcd = await this.context.etcd.get();
      const { tenantId, timelineId } = this.timeline.state;
      const leadership = await campaign(
        etcd,
        {
          name: electionName(this.context.etcdPrefix, tenantId, timelineId),
          value: candidateValue(this.context.nodeId),
          ttlSeconds: this.context.ttlSeconds,
        },
        campaignStop,
        () => this.state.setPhase('waiting'),
      );
      this.context.etcd.noteCall(true);
      this.state.succeeded('etcd');
      return leadership;
    } catch (error) {
      if (campaignStop.aborted) return undefined;
      this.context.etcd.noteCall(false);
      this.state.failed('etcd', error);
      this.state.setPhase('etcd-retry');
      await sleepMs(ETCD_RETRY_MS, AbortSignal.any([stop, this.wakeController.signal]));
      return undefined;
    } finally {
      unsubscribe();
    }
  }

  private async leadThenResign(leadership: Leadership, stop: AbortSignal): Promise<void> {
    this.state.setLeader(true);
    this.context.observer.electionWon();
    this.log.info({ election: leadership.key }, 'elected to offload WAL');
    try {
      await this.lead(leadership, AbortSignal.any([stop, leadership.signal]));
    } finally {
      this.state.setLeader(false);
    }
    if (leadership.signal.aborted && !stop.aborted) {
      this.context.observer.leadershipLost();
      this.context.etcd.noteCall(false);
      this.state.failed('etcd', leadership.signal.reason);
      leadership.abandon();
      this.state.setPhase('etcd-retry');
      await sleepMs(ETCD_RETRY_MS, AbortSignal.any([stop, this.wakeController.signal]));
      return;
    }
    try {
      await leadership.resign();
      this.log.info(
        { backupLsn: formatLsn(this.timeline.inmemLsns.backupLsn) },
        'resigned from offloading WAL',
      );
    } catch (error) {
      // The lease then expires by itself within its TTL.
      this.log.warn({ err: describeError(error) }, 'could not revoke the offload lease');
    }
  }

  /** Uploads while leader; returns when nothing is left for a while, or `stop` aborts. */
  private async lead(leadership: Leadership, stop: AbortSignal): Promise<void> {
    const stopped = (): boolean => stop.aborted;
    const probe = new BucketProbe(this.context.parallelJobs);
    let failures = 0;
    while (!stop.aborted) {
      const pending = this.pending();
      if (pending === undefined) {
        // With no compute connected no new segment is coming: resign now.
        if (!this.timeline.isActive) return;
        this.state.setPhase('caught-up');
        if (!(await this.waitForNextSegment(stop))) return;
        continue;
      }
      this.state.setPhase('uploading');
      try {
        await this.uploadPending(pending, leadership, probe, stop);
        if (failures > 0) this.state.succeeded('upload');
        failures = 0;
      } catch (error) {
        if (stopped() || error instanceof LeadershipLostError) return;
        failures++;
        this.context.observer.uploadFailed();
        this.state.failed('upload', error);
        this.state.setPhase('backoff');
        await sleepMs(
          uploadBackoffMs(failures),
          AbortSignal.any([stop, this.wakeController.signal]),
        );
      }
    }
  }

  /** true once commit_lsn completes the segment after backup_lsn's, false after the idle wait. */
  private async waitForNextSegment(stop: AbortSignal): Promise<boolean> {
    const { backupLsn } = this.timeline.inmemLsns;
    const size = BigInt(this.segmentSizeBytes);
    const nextEnd = (backupLsn / size + 1n) * size;
    try {
      await this.timeline.events.waitFor(
        'commitLsn',
        nextEnd,
        AbortSignal.any([stop, AbortSignal.timeout(LEADER_IDLE_BEFORE_RESIGN_MS)]),
      );
      return true;
    } catch {
      return false;
    }
  }

  private async uploadPending(
    pending: PendingSegments,
    leadership: Leadership,
    probe: BucketProbe,
    stop: AbortSignal,
  ): Promise<void> {
    const segnos: SegmentNumber[] = [];
    for (let segno = pending.fromSegno; segno < pending.toSegno; segno++) segnos.push(segno);
    await runInOrder({
      items: segnos,
      jobs: this.context.parallelJobs,
      signal: stop,
      run: (segno, signal) => this.uploadSegment(segno, leadership, probe, signal),
      onDone: async (segno, { stored }) => {
        await stored;
        if (this.timeline.isClosed) throw new AppError('wrong-state', 'the timeline closed');
        await this.timeline.advanceInmem({
          backupLsn: segmentEndLsn(segno, this.segmentSizeBytes),
        });
      },
    });
  }

  /**
   * Puts one segment (holding a job slot) and hands over its size check, a HeadObject that runs
   * beside the next PUTs: the segment completes, and backup_lsn passes it, only once it resolved.
   */
  private async uploadSegment(
    segno: SegmentNumber,
    leadership: Leadership,
    probe: BucketProbe,
    signal: AbortSignal,
  ): Promise<{ stored: Promise<void> }> {
    const size = this.segmentSizeBytes;
    const present = { stored: Promise.resolve() };
    // Peers (through the broker) may have uploaded further since the plan was made.
    if (this.timeline.inmemLsns.backupLsn >= segmentEndLsn(segno, size)) return present;
    await leadership.confirm();
    const name = segmentFileName(segno, size);
    const { tenantId, timelineId } = this.timeline.state;
    const key = segmentObjectKey(this.context.prefixInBucket, tenantId, timelineId, name);
    const location = await findSegment(this.timeline.dir, segno, size);
    if (location === undefined)
      throw new AppError('not-found', `WAL segment ${name} is not on this safekeeper`);
    if (probe.wanted()) {
      if ((await this.context.uploader.sizeOf(key, signal)) === size) {
        this.context.observer.segmentFound();
        return present;
      }
      probe.missed();
    }
    this.state.startUpload(name);
    const startedAtMs = performance.now();
    try {
      await this.context.uploader.put(key, location.path, size, signal);
    } catch (error) {
      this.state.endUpload(name, false);
      throw error;
    }
    const stored = this.context.uploader.checkStored(key, size, signal).then(
      () => {
        this.state.endUpload(name, true);
        this.context.observer.segmentUploaded(size, (performance.now() - startedAtMs) / 1000);
        this.log.info({ segment: name, key }, 'WAL segment uploaded');
      },
      (error: unknown) => {
        this.state.endUpload(name, false);
        throw error;
      },
    );
    // Awaited by the segment's completion, in order; a failure before then is no unhandled rejection.
    stored.catch(() => undefined);
    return { stored };
  }
}
