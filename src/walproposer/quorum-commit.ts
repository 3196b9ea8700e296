// commit_lsn and truncate_lsn of one term, from the flush_lsn each acceptor acknowledged in it:
// commit_lsn is the highest LSN a quorum flushed at or above the term's epoch start, truncate_lsn
// the lowest that every acceptor flushed. Owns those acknowledged flushes and asserts that
// commit_lsn only rises, is flushed by a quorum and never passes the end of the WAL proposed.
// Sends nothing and knows no connection (the WAL streamer feeds it).
import { assert } from '../common/assert.js';
import type { Lsn } from '../postgres/lsn.js';
import { minFlushLsn, quorumFlushLsn } from './election.js';

export class QuorumCommit {
  private readonly flushLsns: Lsn[];
  private commit: Lsn = 0n;
  private truncate: Lsn;

  /** `truncateLsn`: what the term starts with (the highest truncate_lsn its voters reported). */
  constructor(
    acceptorCount: number,
    private readonly quorum: number,
    private readonly epochStartLsn: Lsn,
    truncateLsn: Lsn,
  ) {
    assert(
      quorum >= 1 && quorum <= acceptorCount,
      () => `a quorum of ${quorum} is possible among ${acceptorCount} acceptors`,
    );
    this.flushLsns = new Array<Lsn>(acceptorCount).fill(0n);
    this.truncate = truncateLsn;
  }

  get commitLsn(): Lsn {
    return this.commit;
  }
  get truncateLsn(): Lsn {
    return this.truncate;
  }
  /** The flush_lsn acceptor `index` acknowledged in this term (0 before it did). */
  flushLsnOf(index: number): Lsn {
    return this.flushLsns[index] ?? 0n;
  }

  /**
   * Records that acceptor `index` flushed up to `flushLsn` in this term (a value not above the
   * one it acknowledged before changes nothing); `proposedEndLsn` is the end of the WAL proposed
   * so far. True when commit_lsn rose.
   */
  recordFlush(index: number, flushLsn: Lsn, proposedEndLsn: Lsn): boolean {
    const previous = this.flushLsns[index];
    assert(previous !== undefined, 'a flush is recorded for one of the acceptors of the term');
    if (flushLsn <= previous) return false;
    this.flushLsns[index] = flushLsn;
    const truncate = minFlushLsn(this.flushLsns);
    if (truncate > this.truncate) this.truncate = truncate;
    const commit = quorumFlushLsn(this.flushLsns, this.quorum, this.epochStartLsn);
    // Acknowledged flushes only rise, so the highest one a quorum reached does too.
    assert(commit >= this.commit, 'commit_lsn never decreases');
    if (commit === this.commit) return false;
    assert(commit <= proposedEndLsn, 'commit_lsn is never beyond the end of the WAL proposed');
    assert(commit >= this.epochStartLsn, "commit_lsn counts the term's own WAL only");
    assert(this.holdersOf(commit) >= this.quorum, 'commit_lsn is flushed by a quorum');
    this.commit = commit;
    return true;
  }

  private holdersOf(lsn: Lsn): number {
    let holders = 0;
    for (const flushLsn of this.flushLsns) if (flushLsn >= lsn) holders++;
    return holders;
  }
}
