// One timeline of this safekeeper: the persisted state (control file), the newer in-memory LSNs,
// the WAL storage, and an async lock held across every disk write and persist (never across a
// network wait). WAL storage exists once the segment size is known (set at creation or by the
// first greeting); at load it is recovered by scanning from the persisted commit_lsn.
import type { Logger } from '../../common/log.js';
import { AppError } from '../../common/errors.js';
import { AsyncMutex } from '../../common/async-mutex.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  ControlFileStore,
  type ControlFileStoreOptions,
} from '../control-file/control-file-store.js';
import type { SafekeeperState, ServerInfo } from '../control-file/safekeeper-state.js';
import { findEndOfWal } from '../wal/wal-recovery.js';
import { WalStorage, type WalStorageObserver } from '../wal/wal-storage.js';
import { horizonsNeedPersist, periodicPersistDue, type InmemLsns } from './persist-rules.js';

export interface TimelineObserver extends WalStorageObserver {
  observePersistSeconds(seconds: number): void;
}

export interface TimelineOptions {
  readonly noSync: boolean;
  readonly controlFileSaveIntervalMs: number;
  readonly log: Logger;
  readonly observer?: TimelineObserver;
}

export interface WalAppend {
  readonly startLsn: Lsn;
  readonly bytes: Uint8Array;
}

/**
 * What a holder of the timeline lock may do: the protocol (protocol/acceptor.ts) composes these
 * into its steps, each step one `withLock` call, so that a vote, an election or a batch of
 * appends is atomic with respect to every other writer of the timeline.
 */
export interface LockedTimeline {
  readonly state: SafekeeperState;
  readonly inmem: InmemLsns;
  /** The WAL storage; throws when the segment size is not known yet or the timeline is closed. */
  readonly wal: WalStorage;
  readonly flushLsn: Lsn;
  /** Max commit_lsn heard from anyone; may be ahead of flush_lsn (not persisted). */
  globalCommitLsn: Lsn;
  /** Writes `next` as the control file (neon's raw persist: in-memory LSNs are not taken). */
  persistState(next: SafekeeperState): Promise<void>;
  /**
   * persist_control_file: the persisted state takes `changes` and every in-memory value, after
   * the in-memory LSNs are raised by `raise` (one write, whatever the persist rules say).
   */
  persistAll(changes?: Partial<SafekeeperState>, raise?: Partial<InmemLsns>): Promise<void>;
  setProposerUuid(proposerUuid: string): void;
  advanceInmem(update: Partial<InmemLsns>): Promise<void>;
}

export class Timeline {
  readonly lock = new AsyncMutex();
  private inmem: InmemLsns;
  private inmemProposerUuid: string;
  private globalCommit: Lsn = 0n;
  private wal: WalStorage | undefined;
  private computes = 0;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly control: ControlFileStore,
    private readonly options: TimelineOptions,
  ) {
    const { commitLsn, backupLsn, peerHorizonLsn, remoteConsistentLsn } = control.state;
    this.inmem = { commitLsn, backupLsn, peerHorizonLsn, remoteConsistentLsn };
    this.inmemProposerUuid = control.state.proposerUuid;
    this.globalCommit = commitLsn;
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
    return this.lock.run(() => {
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
      persistState: (next) => this.control.persist(next),
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
    this.wal = await WalStorage.open(storageOptions, { endLsn: await this.recoverEndOfWal() });
  }

  /** Where WAL ends on disk: scanned from the persisted commit_lsn (0 when never committed). */
  private async recoverEndOfWal(): Promise<Lsn> {
    const { commitLsn, peerHorizonLsn, server } = this.state;
    if (commitLsn === 0n) return 0n;
    const end = await findEndOfWal(this.dir, server.walSegSize, commitLsn);
    const log = this.options.log;
    if (!end.startSegmentFound) {
      log.warn(
        { commitLsn: formatLsn(commitLsn) },
        'potential data loss: the WAL segment holding commit_lsn is missing; starting with no local WAL',
      );
      return 0n;
    }
    if (end.endLsn < peerHorizonLsn)
      log.warn(
        { endLsn: formatLsn(end.endLsn), peerHorizonLsn: formatLsn(peerHorizonLsn) },
        'potential data loss: WAL ends below peer_horizon_lsn',
      );
    log.info(
      {
        commitLsn: formatLsn(commitLsn),
        flushLsn: formatLsn(end.endLsn),
        stop: end.stoppedBecause,
      },
      'WAL recovered',
    );
    return end.endLsn;
  }

  private requireWal(): WalStorage {
    if (this.closed) throw new AppError('wrong-state', `timeline ${this.dir} is closed`);
    if (this.wal === undefined)
      throw new AppError('wrong-state', 'the WAL segment size is not known yet (no greeting)');
    return this.wal;
  }

  /** The greeting's server info: persisted at once; initialises WAL storage on first sight. */
  async setServerInfo(server: ServerInfo): Promise<void> {
    await this.lock.run(() => this.setServerInfoLocked(server));
  }

  /**
   * The segment size and system id cannot change once known (neon never checked: defect 19);
   * the file is written only when something changed, and WAL storage opens on first sight.
   */
  private async setServerInfoLocked(server: ServerInfo): Promise<void> {
    const current = this.state.server;
    if (current.walSegSize !== 0 && current.walSegSize !== server.walSegSize)
      throw new AppError(
        'wrong-state',
        `WAL segment size ${server.walSegSize} differs from the timeline's ${current.walSegSize}`,
      );
    if (current.systemId !== 0n && current.systemId !== server.systemId)
      throw new AppError(
        'wrong-state',
        `system id ${server.systemId} differs from the timeline's ${current.systemId}`,
      );
    // A known PostgreSQL version is kept (a mismatch is only logged by the caller, as in neon).
    const next = {
      ...server,
      pgVersion: current.pgVersion === 0 ? server.pgVersion : current.pgVersion,
    };
    const changed =
      current.walSegSize !== next.walSegSize ||
      current.systemId !== next.systemId ||
      current.pgVersion !== next.pgVersion;
    if (changed) await this.control.persist({ ...this.state, server: next });
    await this.openWal();
  }

  /** Writes the appends in order and makes them durable with one flush (group commit). */
  async appendWal(appends: readonly WalAppend[]): Promise<Lsn> {
    return this.lock.run(async () => {
      const wal = this.requireWal();
      for (const append of appends) await wal.write(append.startLsn, append.bytes);
      await wal.flush();
      return wal.flushLsn;
    });
  }

  /** Cuts WAL at `endLsn` (a new term): later WAL is gone from disk before this resolves. */
  async truncateWal(endLsn: Lsn): Promise<void> {
    await this.lock.run(() => this.requireWal().truncate(endLsn));
  }

  /** Advances in-memory LSNs (never backwards; commit capped at flush_lsn); rules 6-7. */
  async advanceInmem(update: Partial<InmemLsns>): Promise<void> {
    await this.lock.run(() => this.advanceInmemLocked(update));
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
    this.inmem = {
      commitLsn: max(this.inmem.commitLsn, commitLsn),
      backupLsn: max(this.inmem.backupLsn, update.backupLsn),
      peerHorizonLsn: max(this.inmem.peerHorizonLsn, update.peerHorizonLsn),
      remoteConsistentLsn: max(this.inmem.remoteConsistentLsn, update.remoteConsistentLsn),
    };
  }

  /** persist_control_file: the persisted state takes every in-memory value. Lock held. */
  private async persistLocked(changes: Partial<SafekeeperState> = {}): Promise<void> {
    await this.control.persist({
      ...this.state,
      ...changes,
      ...this.inmem,
      proposerUuid: this.inmemProposerUuid,
    });
  }

  /** The opportunistic periodic persist; true when it wrote the control file. */
  async maybePersistPeriodically(): Promise<boolean> {
    return this.lock.run(async () => {
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

  /** Waits for the operation in progress, then closes files. */
  async close(): Promise<void> {
    await this.lock.run(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.wal?.close();
    });
  }
}
