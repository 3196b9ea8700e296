// Streaming and commit of an elected walproposer's term: sends admitted acceptors the WAL they
// lack in AppendRequests (at most MAX_INFLIGHT_BYTES past their flush, pausing while a socket
// drains), takes their AppendResponses, raises commit_lsn and truncate_lsn from the quorum's
// flushes (quorum-commit.ts) and carries a new commit_lsn to idle acceptors in one pending
// announcement. The hot path: no closure or object per message. Admission is catch-up.ts's.
import { assert } from '../common/assert.js';
import { AppError } from '../common/errors.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';
import { MAX_APPEND_WAL_BYTES, type AppendResponse } from '../protocol/proposer-messages.js';
import type { Term } from '../protocol/term-history.js';
import type { AcceptorLink } from './acceptor-link.js';
import { AcceptorStream, type AcceptorStreamView } from './acceptor-stream.js';
import { AppendHeads } from './append-heads.js';
import { QuorumCommit } from './quorum-commit.js';
import type { WalBuffer } from './wal-buffer.js';

/** WAL sent to one acceptor and not yet flushed there: no more is sent past this (one append over at most). */
const MAX_INFLIGHT_BYTES = 16n * 1024n * 1024n;
const NO_WAL: readonly Uint8Array[] = [];

export type StreamLink = Pick<AcceptorLink, 'name' | 'state' | 'sendAppend' | 'waitForDrain'>;

/** What the streamer needs to know of its term. */
export interface StreamedTerm {
  readonly term: Term;
  readonly epochStartLsn: Lsn;
  readonly proposerId: string;
  /** The truncate_lsn the term starts with (the highest its voters reported). */
  readonly truncateLsn: Lsn;
  readonly quorum: number;
}

export class WalStreamer {
  private readonly streams: AcceptorStream[];
  /** Per acceptor, what runs once its socket drained (made once: drains are frequent). */
  private readonly resumers: (() => void)[];
  private readonly quorum: QuorumCommit;
  private readonly heads: AppendHeads;
  private readonly term: Term;
  private announcementPending = false;
  private readonly announce = (): void => {
    this.announcementPending = false;
    const commitLsn = this.quorum.commitLsn;
    for (let index = 0; index < this.streams.length; index++)
      if (this.isIdle(index) && this.streamAt(index).sentCommitLsn < commitLsn)
        this.sendEmptyAppend(index);
  };

  /** `onProgress` runs when commit_lsn rose or an acceptor acknowledged a higher one. */
  constructor(
    private readonly links: readonly StreamLink[],
    private readonly buffer: WalBuffer,
    term: StreamedTerm,
    private readonly onProgress: () => void,
  ) {
    this.term = term.term;
    this.streams = links.map(() => new AcceptorStream());
    this.resumers = this.streams.map((stream, index) => () => {
      stream.stopDraining();
      this.pump(index);
    });
    this.quorum = new QuorumCommit(links.length, term.quorum, term.epochStartLsn, term.truncateLsn);
    this.heads = new AppendHeads(term.term, term.epochStartLsn, term.proposerId);
  }

  get commitLsn(): Lsn {
    return this.quorum.commitLsn;
  }
  /** The WAL every acceptor flushed (what AppendRequests carry as truncate_lsn). */
  get truncateLsn(): Lsn {
    return this.quorum.truncateLsn;
  }
  /** The end of the WAL proposed so far. */
  get endLsn(): Lsn {
    return this.buffer.endLsn;
  }
  streamOf(index: number): AcceptorStreamView {
    return this.streamAt(index);
  }
  /** The flush_lsn acceptor `index` acknowledged in this term: durable there. */
  acknowledgedFlushLsn(index: number): Lsn {
    return this.quorum.flushLsnOf(index);
  }

  /** Adds WAL (whole records, continuing the buffer) and sends it to whoever may take it. */
  append(bytes: Uint8Array): void {
    this.buffer.append(bytes);
    for (let index = 0; index < this.streams.length; index++) this.pump(index);
  }

  /** ProposerElected went to acceptor `index` with start_streaming_at `startLsn`: stream to it. */
  admit(index: number, startLsn: Lsn): void {
    this.streamAt(index).admit(startLsn, this.quorum.flushLsnOf(index));
    this.pump(index);
  }

  /** Acceptor `index`'s connection is gone (it is admitted again when it comes back). */
  detach(index: number): void {
    this.streamAt(index).detach();
  }

  onAppendResponse(index: number, response: AppendResponse): void {
    if (response.term > this.term)
      throw new AppError(
        'wrong-state',
        `${this.linkAt(index).name} is in term ${response.term}: a newer proposer took over term ${this.term}`,
      );
    const stream = this.streamAt(index);
    if (!stream.isAdmitted) return;
    assert(response.term === this.term, 'an admitted acceptor answers in the term it accepted');
    stream.noteResponse();
    const endLsn = this.buffer.endLsn;
    if (response.flushLsn > endLsn)
      throw new AppError(
        'integrity',
        `${this.linkAt(index).name} reported flush_lsn ${formatLsn(response.flushLsn)} beyond the WAL proposed (up to ${formatLsn(endLsn)})`,
      );
    const commitAcknowledged = stream.acknowledgeCommit(response.commitLsn);
    // commit_lsn and truncate_lsn depend only on the flushes: nothing to redo unless one rose.
    const truncateLsn = this.quorum.truncateLsn;
    const committed = this.quorum.recordFlush(index, response.flushLsn, endLsn);
    if (this.quorum.truncateLsn > truncateLsn) this.buffer.dropBefore(this.quorum.truncateLsn);
    if (committed) {
      // Whoever waits for this commit runs first; then acceptors that were sent no WAL since
      // (which would carry it) learn it from an empty append.
      this.onProgress();
      this.scheduleAnnouncement();
    }
    this.pump(index);
    // announceCommit() waits for acceptors to acknowledge the commit, announceTruncate() for
    // any answer.
    if (commitAcknowledged || this.answersAwaited) this.onProgress();
  }

  /** announceTruncate() waits for answers: every response is progress then. */
  private answersAwaited = false;

  /**
   * Sends the current commit_lsn and truncate_lsn to every idle connected acceptor (an empty
   * AppendRequest); returns each one's response count, which hasAnswered() then compares.
   */
  announceTruncate(): Map<number, number> {
    const marks = new Map<number, number>();
    for (let index = 0; index < this.streams.length; index++) {
      if (!this.isIdle(index)) continue;
      marks.set(index, this.streamAt(index).responseCount);
      this.sendEmptyAppend(index);
    }
    this.answersAwaited = marks.size > 0;
    return marks;
  }

  /** Every acceptor of `marks` answered since, or is no longer connected. */
  hasAnswered(marks: ReadonlyMap<number, number>): boolean {
    const answered = [...marks].every(
      ([index, count]) =>
        this.linkAt(index).state !== 'up' || this.streamAt(index).responseCount > count,
    );
    if (answered) this.answersAwaited = false;
    return answered;
  }

  /**
   * Sends the current commit_lsn to every connected acceptor that holds all WAL (an empty
   * AppendRequest); returns the connected acceptors, which hasAcknowledged() then asks about.
   */
  announceCommit(): number[] {
    const connected: number[] = [];
    for (let index = 0; index < this.streams.length; index++) {
      if (this.linkAt(index).state !== 'up') continue;
      connected.push(index);
      if (this.isIdle(index)) this.sendEmptyAppend(index);
    }
    return connected;
  }

  /** Every acceptor of `indices` acknowledged `commitLsn`, or is no longer connected. */
  hasAcknowledged(indices: readonly number[], commitLsn: Lsn): boolean {
    return indices.every(
      (index) =>
        this.linkAt(index).state !== 'up' || this.streamAt(index).ackedCommitLsn >= commitLsn,
    );
  }

  /** Sends acceptor `index` what it lacks, within its in-flight window. */
  private pump(index: number): void {
    const stream = this.streamAt(index);
    const link = this.linkAt(index);
    if (!stream.isAdmitted || link.state !== 'up' || stream.isDraining) return;
    const flushed = this.quorum.flushLsnOf(index);
    const acked = flushed > stream.streamStartLsn ? flushed : stream.streamStartLsn;
    const buffer = this.buffer;
    while (stream.nextLsn < buffer.endLsn) {
      const beginLsn = stream.nextLsn;
      if (beginLsn - acked >= MAX_INFLIGHT_BYTES) return;
      const walLength = Math.min(MAX_APPEND_WAL_BYTES, Number(buffer.endLsn - beginLsn));
      const flowing = this.sendAppend(
        index,
        beginLsn,
        buffer.slice(beginLsn, walLength),
        walLength,
      );
      stream.advance(walLength);
      if (!flowing) {
        stream.startDraining();
        void link.waitForDrain().then(this.resumerAt(index));
        return;
      }
    }
  }

  private sendAppend(
    index: number,
    beginLsn: Lsn,
    walParts: readonly Uint8Array[],
    walLength: number,
  ): boolean {
    const commitLsn = this.quorum.commitLsn;
    this.streamAt(index).recordCommitSent(commitLsn);
    const head = this.heads.headFor(beginLsn, walLength, commitLsn, this.quorum.truncateLsn);
    return this.linkAt(index).sendAppend(head, walParts);
  }

  private sendEmptyAppend(index: number): void {
    this.sendAppend(index, this.streamAt(index).nextLsn, NO_WAL, 0);
  }

  private scheduleAnnouncement(): void {
    if (this.announcementPending) return;
    this.announcementPending = true;
    setImmediate(this.announce);
  }

  /** Admitted, connected and sent all WAL held: only an empty append can carry commit_lsn. */
  private isIdle(index: number): boolean {
    const stream = this.streamAt(index);
    return (
      stream.isAdmitted &&
      this.linkAt(index).state === 'up' &&
      stream.nextLsn === this.buffer.endLsn
    );
  }

  private streamAt(index: number): AcceptorStream {
    return this.streams[index] as AcceptorStream;
  }
  private linkAt(index: number): StreamLink {
    return this.links[index] as StreamLink;
  }
  private resumerAt(index: number): () => void {
    return this.resumers[index] as () => void;
  }
}
