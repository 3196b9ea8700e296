// What the holder of a timeline's lock may do (the protocol composes these into its steps) and
// the unit of a WAL append. Types only: timeline.ts implements them.
import type { Lsn } from '../../postgres/lsn.js';
import type { SafekeeperState } from '../control-file/safekeeper-state.js';
import type { WalStorage } from '../wal/wal-storage.js';
import type { InmemLsns } from './persist-rules.js';

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
  /** Cuts WAL at `endLsn` (a new term); never below commit_lsn (committed WAL stays). */
  truncateWal(endLsn: Lsn): Promise<void>;
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
