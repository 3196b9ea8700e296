// One timeline of this safekeeper: the persisted state (control file), the newer in-memory LSNs,
// the WAL storage, and an async lock held across every disk write and persist (never across a
// network wait). WAL storage exists once the segment size is known (set at creation or by the
// first greeting); at load it is recovered by scanning from the persisted commit_lsn.
import type { Logger } from '../../common/log.js';
import { AppError } from '../../common/errors.js';
import { assert } from '../../common/assert.js';
import { AsyncMutex } from '../../common/async-mutex.js';
import { OperationFuse } from '../../daemon-shell/operation-fuse.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import { epochAt, type Term } from '../../protocol/term-history.js';
import type { SafekeeperTimelineInfo } from '../../protocol/safekeeper-timeline-info.js';
import { computeHorizon, type Horizon } from '../remove-wal/horizon.js';
import { removeSegmentsBelow, type RemovedSegments } from '../remove-wal/remove-segments.js';
import {
  ControlFileStore,
  type ControlFileStoreOptions,
} from '../control-file/control-file-store.js';
import type { SafekeeperState, ServerInfo } from '../control-file/safekeeper-state.js';
import { WalStorage, type WalStorageObserver } from '../wal/wal-storage.js';
import {
  horizonsNeedPersist,
  inmemAhead,
  periodicPersistDue,
  type InmemLsns,
} from './persist-rules.js';
import { mergeServerInfo } from './merge-server-info.js';
import { recoverEndOfWal } from './recover-end-of-wal.js';
import type { LockedTimeline, WalAppend } from './locked-timeline.js';
import { TimelineEvents, type TimelineLsns } from './timeline-events.js';
import { ReplicaRegistry } from './replica-registry.js';

export interface TimelineObserver extends WalStorageObserver {
  observePersistSeconds(seconds: number): void;
  observeWalRemoved?(segments: number, bytes: number): void;
}

export interface TimelineOptions {
  readonly noSync: boolean;
  readonly controlFileSaveIntervalMs: number;
  /** WAL is offloaded to remote storage: backup_lsn bounds the removal horizon. */
  readonly walBackupConfigured: boolean;
  readonly log: Logger;
  readonly observer?: TimelineObserver;
}

export type { LockedTimeline, WalAppend };

export class Timeline {
  private readonly lock = new AsyncMutex();
  /** Disk operations in flight (persists; WAL storage has its own): close asserts none. */
  private readonly fuse: OperationFuse;
  /** Advances of flush/commit/backup/peer horizon/remote consistent LSN, for subscribers. */
  readonly events: TimelineEvents;
  /** The connections streaming this timeline now, with their feedback (memory only). */
  readonly replicas = new ReplicaRegistry();
  private inmem: InmemLsns;
  private inmemProposerUuid: string;
  private globalCommit: Lsn = 0n;
  private wal: WalStorage | undefined;
  private computes = 0;
  private closed = false;
  /** Segments below this were removed by this process (removal bookkeeping, memory only). */
  private removedBeforeSegno = 0n;
  /** One removal at a time (the loop and the admin route may both ask). */
  private readonly removal = new AsyncMutex();

  private constructor(
    readonly dir: string,
    private readonly control: ControlFileStore,
    private readonly options: TimelineOptions,
  ) {
    const { commitLsn, backupLsn, peerHorizonLsn, remoteConsistentLsn } = control.state;
    this.inmem = { commitLsn, backupLsn, peerHorizonLsn, remoteConsistentLsn };
    this.inmemProposerUuid = control.state.proposerUuid;
    this.globalCommit = commitLsn;
    this.fuse = new OperationFuse(`timeline ${dir}`);
    this.events = new TimelineEvents(() => this.currentLsns());
  }

  private currentLsns(): TimelineLsns {
    return { flushLsn: this.flushLsn, ...this.inmem };
  }

  /**
   * Runs `fn` under the timeline lock, then tells the subscribers what it advanced: every step
   * that changes an LSN runs through here, so no change goes unannounced.
   */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.lock.run(fn);
    } finally {
      if (!this.closed) this.events.publish();
    }
  }

  /** How this timeline's control file is written (sync, persist-time histogram). */
  static controlFileOptions(options: TimelineOptions): ControlFileStoreOptions {
    return {
      noSync: options.noSync,
      observePersistSeconds: (seconds: number) => options.observer?.observePersistSeconds(seconds),
    };
  }

  static async load(dir: string, options: TimelineOptions): Promise<Timeline> {
    const { store, upgradedFromVersion } = await ControlFileStore.load(
      dir,
      Timeline.controlFileOptions(options),
    );
    if (upgradedFromVersion !== undefined)
      options.log.info({ fromVersion: upgradedFromVersion }, 'control file upgraded');
    const timeline = new Timeline(dir, store, options);
    await timeline.openWal();
    return timeline;
  }

  get state(): SafekeeperState {
    return this.control.state;
  }
  get inmemLsns(): InmemLsns {
    return this.inmem;
  }
  get walStorage(): WalStorage | undefined {
    return this.wal;
  }
  get flushLsn(): Lsn {
    return this.wal?.flushLsn ?? 0n;
  }
  /** The term of the last term-history entry at or below flush_lsn (0 if none). */
  get epoch(): Term {
    return epochAt(this.state.acceptorState.termHistory, this.flushLsn);
  }
  /** backup_lsn bounds the removal horizon (remote storage configured, WAL backup on). */
  get walBackupConfigured(): boolean {
    return this.options.walBackupConfigured;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** A compute (walproposer) is connected; the backup/broker activity flags build on this. */
  get isActive(): boolean {
    return this.computes > 0;
  }

  /** Counts a connected compute until the returned function is called (once). */
  attachCompute(): () => void {
    this.computes++;
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      this.computes--;
    };
  }

  /** Runs `fn` holding the timeline lock, with the operations a lock holder may use. */
  async withLock<T>(fn: (locked: LockedTimeline) => Promise<T>): Promise<T> {
    return this.run(() => {
      if (this.closed) throw new AppError('wrong-state', `timeline ${this.dir} is closed`);
      return fn(this.locked);
    });
  }

  /** What `withLock` hands out: one view per timeline (every append batch takes the lock). */
  private readonly locked: LockedTimeline = this.lockedView();

  private lockedView(): LockedTimeline {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the view's getters read the live timeline
    const timeline = this;
    return {
      get state() {
        return timeline.state;
      },
      get inmem() {
        return timeline.inmem;
      },
      get wal() {
        return timeline.requireWal();
      },
      get flushLsn() {
        return timeline.flushLsn;
      },
      get globalCommitLsn() {
        return timeline.globalCommit;
      },
      set globalCommitLsn(lsn: Lsn) {
        if (lsn > timeline.globalCommit) timeline.globalCommit = lsn;
      },
      truncateWal: (endLsn) => this.truncateLocked(endLsn),
      persistState: (next) => this.persist(next),
      persistAll: (changes, raise) => {
        if (raise !== undefined) this.raiseInmem(raise);
        return this.persistLocked(changes);
      },
      setProposerUuid: (proposerUuid) => {
        this.inmemProposerUuid = proposerUuid;
      },
      advanceInmem: (update) => this.advanceInmemLocked(update),
    };
  }

  private async openWal(): Promise<void> {
    const segmentSizeBytes = this.state.server.walSegSize;
    if (segmentSizeBytes === 0 || this.wal !== undefined) return;
    const storageOptions = {
      dir: this.dir,
      segmentSizeBytes,
      noSync: this.options.noSync,
      onWarning: (message: string) => this.options.log.warn(message),
      ...(this.options.observer === undefined ? {} : { observer: this.options.observer }),
    };
    const endLsn = await recoverEndOfWal(this.dir, this.state, this.options.log);
    this.wal = await WalStorage.open(storageOptions, { endLsn });
  }

  private requireWal(): WalStorage {
    if (this.closed) throw new AppError('wrong-state', `timeline ${this.dir} is closed`);
    if (this.wal === undefined)
      throw new AppError('wrong-state', 'the WAL segment size is not known yet (no greeting)');
    return this.wal;
  }

  /** The greeting's server info: persisted at once; initialises WAL storage on first sight. */
  async setServerInfo(server: ServerInfo): Promise<void> {
    await this.run(() => this.setServerInfoLocked(server));
  }

  /** The file is written only when something changed; WAL storage opens on first sight. */
  private async setServerInfoLocked(server: ServerInfo): Promise<void> {
    const next = mergeServerInfo(this.state.server, server);
    if (next !== undefined) await this.persist({ ...this.state, server: next });
    await this.openWal();
  }

  /** Writes the appends in order and makes them durable with one flush (group commit). */
  async appendWal(appends: readonly WalAppend[]): Promise<Lsn> {
    return this.run(async () => {
      const wal = this.requireWal();
      for (const append of appends) await wal.write(append.startLsn, append.bytes);
      await wal.flush();
      return wal.flushLsn;
    });
  }

  /** Cuts WAL at `endLsn` (a new term): later WAL is gone from disk before this resolves. */
  async truncateWal(endLsn: Lsn): Promise<void> {
    await this.run(() => this.truncateLocked(endLsn));
  }

  private async truncateLocked(endLsn: Lsn): Promise<void> {
    assert(
      endLsn >= this.inmem.commitLsn,
      () =>
        `truncation at ${formatLsn(endLsn)} below commit_lsn ${formatLsn(this.inmem.commitLsn)}`,
    );
    await this.requireWal().truncate(endLsn);
  }

  /** Advances in-memory LSNs (never backwards; commit capped at flush_lsn); rules 6-7. */
  async advanceInmem(update: Partial<InmemLsns>): Promise<void> {
    await this.run(() => this.advanceInmemLocked(update));
  }

  private async advanceInmemLocked(update: Partial<InmemLsns>): Promise<void> {
    this.raiseInmem(update);
    const segmentSizeBytes = this.state.server.walSegSize;
    // Rule 5a: the first commit_lsn is persisted at once, so that recovery has a record
    // boundary to scan from after a crash.
    const firstCommit = this.state.commitLsn === 0n && this.inmem.commitLsn !== 0n;
    if (
      firstCommit ||
      (segmentSizeBytes !== 0 && horizonsNeedPersist(this.state, this.inmem, segmentSizeBytes))
    )
      await this.persistLocked();
  }

  /** Raises the in-memory LSNs (never backwards; commit capped at flush_lsn). Lock held. */
  private raiseInmem(update: Partial<InmemLsns>): void {
    const max = (a: Lsn, b: Lsn | undefined): Lsn => (b !== undefined && b > a ? b : a);
    // commit_lsn is WAL acknowledged by a quorum *and* present here.
    const flushLsn = this.flushLsn;
    const commitLsn =
      update.commitLsn === undefined || update.commitLsn <= flushLsn ? update.commitLsn : flushLsn;
    const raisedCommitLsn = max(this.inmem.commitLsn, commitLsn);
    assert(
      raisedCommitLsn === this.inmem.commitLsn || raisedCommitLsn <= flushLsn,
      () =>
        `commit_lsn raised to ${formatLsn(raisedCommitLsn)} above flush_lsn ${formatLsn(flushLsn)}`,
    );
    this.inmem = {
      commitLsn: raisedCommitLsn,
      backupLsn: max(this.inmem.backupLsn, update.backupLsn),
      peerHorizonLsn: max(this.inmem.peerHorizonLsn, update.peerHorizonLsn),
      remoteConsistentLsn: max(this.inmem.remoteConsistentLsn, update.remoteConsistentLsn),
    };
  }

  /** persist_control_file: the persisted state takes every in-memory value. Lock held. */
  private async persistLocked(changes: Partial<SafekeeperState> = {}): Promise<void> {
    await this.persist({
      ...this.state,
      ...changes,
      ...this.inmem,
      proposerUuid: this.inmemProposerUuid,
    });
  }

  /**
   * Every control-file write of the timeline: the acceptor term never goes back, nor does the
   * persisted commit_lsn (the state's other invariants are checked by the store). Lock held.
   */
  private async persist(next: SafekeeperState): Promise<void> {
    const current = this.state;
    assert(
      next.acceptorState.term >= current.acceptorState.term,
      () => `term going back from ${current.acceptorState.term} to ${next.acceptorState.term}`,
    );
    assert(
      next.commitLsn >= current.commitLsn,
      () =>
        `persisted commit_lsn going back from ${formatLsn(current.commitLsn)} to ${formatLsn(next.commitLsn)}`,
    );
    await this.fuse.run('control-file persist', () => this.control.persist(next));
  }

  /**
   * A peer's (or the test route's) view of this timeline, by neon's rules (neon-reference §4.4):
   * its commit_lsn counts only when its last log term is our epoch (then commit_lsn becomes
   * min(max commit heard, flush_lsn)); backup, remote consistent and peer horizon are taken as
   * maxima and persisted once more than a segment ahead. Ignored until the segment size is known.
   */
  async recordSafekeeperInfo(info: SafekeeperTimelineInfo): Promise<void> {
    await this.run(async () => {
      if (this.closed || this.state.server.walSegSize === 0) return;
      const update: { -readonly [K in keyof InmemLsns]?: Lsn } = {};
      if (info.backupLsn !== undefined) update.backupLsn = info.backupLsn;
      if (info.remoteConsistentLsn !== undefined)
        update.remoteConsistentLsn = info.remoteConsistentLsn;
      if (info.peerHorizonLsn !== undefined) update.peerHorizonLsn = info.peerHorizonLsn;
      if (
        info.commitLsn !== undefined &&
        info.lastLogTerm !== undefined &&
        info.lastLogTerm === this.epoch
      ) {
        if (info.commitLsn > this.globalCommit) this.globalCommit = info.commitLsn;
        update.commitLsn = this.globalCommit;
      }
      await this.advanceInmemLocked(update);
    });
  }

  /** The removal horizon now, from the persisted LSNs (remove-wal/horizon.ts). */
  horizon(): Horizon {
    const state = this.state;
    return computeHorizon({
      remoteConsistentLsn: state.remoteConsistentLsn,
      peerHorizonLsn: state.peerHorizonLsn,
      backupLsn: state.backupLsn,
      commitLsn: state.commitLsn,
      flushLsn: this.flushLsn,
      segmentSizeBytes: state.server.walSegSize,
      backupConfigured: this.options.walBackupConfigured,
    });
  }

  /**
   * Removes the segment files below the horizon's segment (never the one holding commit_lsn or
   * flush_lsn); one file per lock hold, so appends interleave with a long removal. Returns what
   * was removed (undefined: nothing) together with the horizon it obeyed.
   */
  async removeWalBelowHorizon(): Promise<{
    horizon: Horizon;
    removed: RemovedSegments | undefined;
  }> {
    return this.removal.run(async () => {
      const horizon = this.horizon();
      const segmentSizeBytes = this.state.server.walSegSize;
      if (
        this.closed ||
        segmentSizeBytes === 0 ||
        horizon.removableBeforeSegno <= this.removedBeforeSegno
      )
        return { horizon, removed: undefined };
      const removed = await removeSegmentsBelow(
        this.dir,
        segmentSizeBytes,
        horizon.removableBeforeSegno,
        (unlinkOne) =>
          this.run(() => {
            if (this.closed) return Promise.resolve(false);
            return this.fuse.run('WAL removal', unlinkOne).then(() => true);
          }),
      );
      if (!this.isClosed) this.removedBeforeSegno = horizon.removableBeforeSegno;
      if (removed !== undefined) {
        this.options.log.info(removed, 'removed WAL segments');
        this.options.observer?.observeWalRemoved?.(removed.count, removed.bytes);
      }
      return { horizon, removed };
    });
  }

  /** The opportunistic periodic persist; true when it wrote the control file. */
  async maybePersistPeriodically(): Promise<boolean> {
    return this.run(async () => {
      if (this.closed) return false;
      const due = periodicPersistDue(
        this.state,
        this.inmem,
        this.control.msSinceLastPersist(),
        this.options.controlFileSaveIntervalMs,
      );
      if (due) await this.persistLocked();
      return due;
    });
  }

  /**
   * Waits for the step in progress (the lock), then closes files. A write or persist still in
   * flight at that point ran outside the lock: the fuse turns that into an assertion failure.
   * With `persistInmem` (a clean stop) the in-memory LSNs reach the control file first, so that
   * what the status showed before the stop is what it shows after the start.
   */
  async close(options: { readonly persistInmem?: boolean } = {}): Promise<void> {
    await this.lock.run(async () => {
      if (this.closed) return;
      this.fuse.assertIdle('close');
      if (options.persistInmem === true && inmemAhead(this.state, this.inmem))
        await this.persistLocked();
      this.closed = true;
      this.events.close(`timeline ${this.dir}`);
      await this.wal?.close();
    });
  }
}
