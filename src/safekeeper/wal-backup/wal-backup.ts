// The node's WAL backup: the launcher (one supervised task of the daemon) keeps one offload task
// per timeline that has complete segments left to upload, started by the timeline's change
// events (and by timelines created at run time), each ending by itself once nothing is left or
// when the launcher stops; it also answers the status documents and the offload route. Needs
// remote storage and broker endpoints (the election lives in etcd).
import { sleepMs } from '../../common/deadline.js';
import { describeError } from '../../common/errors.js';
import type { TenantId, TimelineId } from '../../common/hex-id.js';
import type { Logger } from '../../common/log.js';
import { formatLsn } from '../../postgres/lsn.js';
import type {
  OffloadDocument,
  WalBackupDocument,
  WalBackupNodeDocument,
} from '../../protocol/timeline-status.js';
import type { Timeline } from '../timeline/timeline.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import type { EtcdHolder } from '../broker/etcd-connection.js';
import { readLeader } from './offload-election.js';
import { electionName, nodeIdOfCandidate, pendingSegments } from './offload-plan.js';
import { notConfiguredDocument } from './offload-state.js';
import { TimelineOffload, type OffloadContext } from './timeline-offload.js';

/** How long the offload route lets the task work before it answers. */
export const OFFLOAD_NOW_WAIT_MS = 10_000;
/** Pause before restarting a timeline's task that failed unexpectedly. */
const TASK_RESTART_DELAY_MS = 1000;
/** Deadline of the leader lookup in the offload route's answer. */
const LEADER_LOOKUP_TIMEOUT_MS = 1000;

export interface WalBackupOptions {
  readonly registry: TimelineRegistry;
  readonly context: OffloadContext;
  readonly log: Logger;
}

interface Entry {
  readonly offload: TimelineOffload;
  running: Promise<void> | undefined;
}

function keyOf(timeline: Timeline): string {
  return `${timeline.state.tenantId}/${timeline.state.timelineId}`;
}

export class WalBackup {
  private readonly entries = new Map<string, Entry>();
  private signal: AbortSignal | undefined;
  private readonly log: Logger;

  constructor(private readonly options: WalBackupOptions) {
    this.log = options.log.child({ component: 'wal-backup' });
  }

  private get etcd(): EtcdHolder {
    return this.options.context.etcd;
  }

  /** The launcher: runs until `signal` aborts, then waits for every task to end. */
  async run(signal: AbortSignal): Promise<void> {
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    if (!this.etcd.configured) {
      this.log.warn('WAL backup needs --broker-endpoints for its election: nothing is offloaded');
      return aborted;
    }
    this.signal = signal;
    const stopWatching = this.options.registry.watch((event) => {
      if (event.kind === 'added') this.attach(event.timeline);
    });
    for (const timeline of this.options.registry.loadedTimelines()) this.attach(timeline);
    await aborted;
    stopWatching();
    await Promise.allSettled(
      [...this.entries.values()].flatMap((entry) =>
        entry.running === undefined ? [] : [entry.running],
      ),
    );
    await this.options.context.uploader.close();
  }

  private attach(timeline: Timeline): void {
    timeline.events.subscribe((change) => {
      if (change.advanced.includes('commitLsn') || change.advanced.includes('backupLsn'))
        this.evaluate(timeline);
    });
    this.evaluate(timeline);
  }

  private entryOf(timeline: Timeline): Entry {
    const key = keyOf(timeline);
    let entry = this.entries.get(key);
    if (entry?.offload.timeline !== timeline) {
      const { tenantId, timelineId } = timeline.state;
      const log = this.log.child({ tenant: tenantId, timeline: timelineId });
      entry = {
        offload: new TimelineOffload(timeline, this.options.context, log),
        running: undefined,
      };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Starts the timeline's task when complete segments are pending and none runs. */
  private evaluate(timeline: Timeline): void {
    const signal = this.signal;
    if (signal === undefined || signal.aborted || timeline.isClosed) return;
    const { commitLsn, backupLsn } = timeline.inmemLsns;
    const segmentSizeBytes = timeline.state.server.walSegSize;
    if (pendingSegments({ commitLsn, backupLsn, segmentSizeBytes }) === undefined) return;
    const entry = this.entryOf(timeline);
    if (entry.running !== undefined) return;
    entry.running = this.runTask(entry, signal);
  }

  private async runTask(entry: Entry, signal: AbortSignal): Promise<void> {
    const timeline = entry.offload.timeline;
    let failed = false;
    try {
      await entry.offload.run(signal);
    } catch (error) {
      failed = true;
      this.log.error(
        {
          tenant: timeline.state.tenantId,
          timeline: timeline.state.timelineId,
          err: describeError(error),
        },
        'WAL offload task failed',
      );
      await sleepMs(TASK_RESTART_DELAY_MS, signal);
    } finally {
      entry.running = undefined;
      entry.offload.state.touch();
    }
    if (timeline.isClosed) {
      if (this.entries.get(keyOf(timeline)) === entry) this.entries.delete(keyOf(timeline));
      return;
    }
    // Work may have arrived while the task was ending.
    if (!signal.aborted && (failed || entry.offload.pending() !== undefined))
      this.evaluate(timeline);
  }

  /** The timeline's `wal_backup` status object. */
  describeTimeline(timeline: Timeline): WalBackupDocument {
    const entry = this.entries.get(keyOf(timeline));
    if (entry?.offload.timeline !== timeline) {
      const document = notConfiguredDocument();
      return { ...document, configured: true, ineligible_reason: null };
    }
    return entry.offload.state.describe(true);
  }

  describeNode(): WalBackupNodeDocument {
    let campaigning = 0;
    let leading = 0;
    for (const { offload } of this.entries.values()) {
      const document = offload.state.describe(true);
      if (document.campaigning) campaigning++;
      if (document.leader) leading++;
    }
    return {
      configured: true,
      etcd_connected: this.etcd.connected,
      timelines_campaigning: campaigning,
      timelines_leading: leading,
    };
  }

  /**
   * POST .../offload: starts the timeline's task if work is pending, ends any backoff pause, and
   * answers once the task settled (or OFFLOAD_NOW_WAIT_MS passed) with what it did.
   */
  async offloadNow(tenantId: TenantId, timelineId: TimelineId): Promise<OffloadDocument> {
    const timeline = this.options.registry.require(tenantId, timelineId);
    const entry = this.entryOf(timeline);
    const phase = entry.offload.state.phase;
    const wasPausing =
      entry.running !== undefined && (phase === 'backoff' || phase === 'etcd-retry');
    entry.offload.wake();
    this.evaluate(timeline);
    await this.settled(entry, OFFLOAD_NOW_WAIT_MS, wasPausing);
    const { backupLsn, commitLsn } = timeline.inmemLsns;
    const document = entry.offload.state.describe(true);
    return {
      tenant_id: tenantId,
      timeline_id: timelineId,
      phase: document.phase,
      leader: document.leader,
      leader_node_id: await this.lookUpLeader(tenantId, timelineId),
      backup_lsn: formatLsn(backupLsn),
      commit_lsn: formatLsn(commitLsn),
      wal_backup: document,
    };
  }

  /**
   * Resolves once the task is in a phase that lasts (waiting, caught up, backing off...) or has
   * ended. A task that was pausing when woken must first leave that pause: its old phase says
   * nothing about what it does now.
   */
  private settled(entry: Entry, timeoutMs: number, wasPausing: boolean): Promise<void> {
    let changed = !wasPausing;
    const isSettled = (): boolean => {
      // 'idle' with a task running: it has not begun yet.
      const phase = entry.offload.state.phase;
      return (
        entry.running === undefined ||
        (changed && !(phase === 'campaigning' || phase === 'uploading' || phase === 'idle'))
      );
    };
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      const unsubscribe = entry.offload.state.onChange(() => {
        changed = true;
        if (isSettled()) finish();
      });
      if (isSettled()) finish();
    });
  }

  private async lookUpLeader(tenantId: TenantId, timelineId: TimelineId): Promise<number | null> {
    try {
      const etcd = await this.etcd.get();
      const name = electionName(this.options.context.etcdPrefix, tenantId, timelineId);
      const leader = await Promise.race([
        readLeader(etcd, name),
        sleepMs(LEADER_LOOKUP_TIMEOUT_MS).then(() => undefined),
      ]);
      return leader === undefined ? null : (nodeIdOfCandidate(leader) ?? null);
    } catch {
      return null;
    }
  }
}
