// What a walproposer streams to one acceptor in its term: whether the acceptor is admitted
// (sent ProposerElected on its current connection), where that stream started and the next LSN
// to send, the commit_lsn sent to it last and the highest it reported, and whether sending
// waits for its socket to drain. Only these methods change it; it sends nothing itself. The
// flush_lsn the acceptor acknowledged is the quorum commit's (quorum-commit.ts).
import { assert } from '../common/assert.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';

/** What others may read of an acceptor's stream. */
export interface AcceptorStreamView {
  readonly isAdmitted: boolean;
  readonly streamStartLsn: Lsn;
  readonly nextLsn: Lsn;
  readonly sentCommitLsn: Lsn;
  readonly ackedCommitLsn: Lsn;
  readonly isDraining: boolean;
  /** AppendResponses received in this term (an empty append is answered too). */
  readonly responseCount: number;
}

export class AcceptorStream implements AcceptorStreamView {
  private admitted = false;
  private startLsn: Lsn = 0n;
  private next: Lsn = 0n;
  private sentCommit: Lsn = 0n;
  private ackedCommit: Lsn = 0n;
  private draining = false;
  private responses = 0;

  get isAdmitted(): boolean {
    return this.admitted;
  }
  /** Where the stream of the current connection started (start_streaming_at). */
  get streamStartLsn(): Lsn {
    return this.startLsn;
  }
  get nextLsn(): Lsn {
    return this.next;
  }
  get sentCommitLsn(): Lsn {
    return this.sentCommit;
  }
  /** The highest commit_lsn the acceptor reported in this term, kept across reconnects. */
  get ackedCommitLsn(): Lsn {
    return this.ackedCommit;
  }
  get isDraining(): boolean {
    return this.draining;
  }
  get responseCount(): number {
    return this.responses;
  }

  /** An AppendResponse arrived. */
  noteResponse(): void {
    this.responses++;
  }

  /**
   * ProposerElected went out with start_streaming_at `startLsn`: the stream starts there.
   * `ackedFlushLsn` is what the acceptor acknowledged as flushed in this term: the acceptor
   * truncates its WAL at `startLsn`, which must keep both that and the commit it knows.
   */
  admit(startLsn: Lsn, ackedFlushLsn: Lsn): void {
    assert(!this.admitted, 'an acceptor is admitted once per connection');
    assert(
      startLsn >= this.ackedCommit,
      () =>
        `streaming starts at ${formatLsn(startLsn)}, not below the commit_lsn ${formatLsn(this.ackedCommit)} the acceptor knows`,
    );
    assert(
      startLsn >= ackedFlushLsn,
      () =>
        `streaming starts at ${formatLsn(startLsn)}, not below the ${formatLsn(ackedFlushLsn)} the acceptor flushed in this term`,
    );
    this.admitted = true;
    this.startLsn = startLsn;
    this.next = startLsn;
  }

  /** An AppendRequest carrying `commitLsn` went out. */
  recordCommitSent(commitLsn: Lsn): void {
    this.sentCommit = commitLsn;
  }

  /** `walLengthBytes` of WAL from nextLsn went out. */
  advance(walLengthBytes: number): void {
    this.next += BigInt(walLengthBytes);
  }

  /** The acceptor reported `commitLsn`; true when it is above what it reported before. */
  acknowledgeCommit(commitLsn: Lsn): boolean {
    if (commitLsn <= this.ackedCommit) return false;
    this.ackedCommit = commitLsn;
    return true;
  }

  startDraining(): void {
    this.draining = true;
  }
  stopDraining(): void {
    this.draining = false;
  }

  /** The connection is gone: not admitted, no drain awaited; what it acknowledged stays. */
  detach(): void {
    this.admitted = false;
    this.draining = false;
  }
}
