// Catch-up of acceptors into an elected term: each voter is sent ProposerElected at its
// divergence point from the term's history (start_streaming_at), after the WAL below what the
// proposer holds is read back from an acceptor that flushed it in this term (recovery-fetch.ts);
// then the WAL streamer takes over. Counts no votes (the campaign does) and decides nothing
// about the term (the settlement did); a voter is admitted once per connection.
import { AppError, describeError } from '../common/errors.js';
import type { TenantId, TimelineId } from '../common/hex-id.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';
import type { VoteResponse } from '../protocol/proposer-messages.js';
import type { Term, TermSwitch } from '../protocol/term-history.js';
import type { AcceptorLink } from './acceptor-link.js';
import { startStreamingAt } from './election.js';
import { fetchWal, RECOVERY_TIMEOUT_MS } from './recovery-fetch.js';
import type { WalBuffer } from './wal-buffer.js';
import type { WalStreamer } from './wal-streamer.js';

export type CatchUpLink = Pick<AcceptorLink, 'name' | 'endpoint' | 'state' | 'send'>;

/** The term acceptors are admitted to. */
export interface AdmittingTerm {
  readonly term: Term;
  readonly history: readonly TermSwitch[];
  readonly epochStartLsn: Lsn;
  readonly timelineStartLsn: Lsn;
}

export interface CatchUpContext {
  readonly ids: { readonly tenantId: TenantId; readonly timelineId: TimelineId };
  /** The vote acceptor `index` gave on its current connection, as the campaign holds it. */
  readonly voteOf: (index: number) => VoteResponse | undefined;
  readonly onEvent?: ((message: string) => void) | undefined;
  /** How WAL is read back from a donor (recovery-fetch.ts; replaced in unit tests). */
  readonly fetchWal?: typeof fetchWal;
}

export class CatchUp {
  constructor(
    private readonly links: readonly CatchUpLink[],
    private readonly term: AdmittingTerm,
    private readonly buffer: WalBuffer,
    private readonly streamer: WalStreamer,
    private readonly context: CatchUpContext,
  ) {}

  /** Brings voter `index` into the term: ProposerElected at its divergence point, then streaming. */
  async admit(index: number, vote: VoteResponse): Promise<void> {
    if (!this.isAwaitingAdmission(index, vote)) return;
    const { term, history, epochStartLsn, timelineStartLsn } = this.term;
    const start = startStreamingAt(history, term, vote);
    if (start < this.buffer.startLsn) await this.fetchBefore(start);
    // The link may have dropped (or been admitted) while WAL was being read.
    if (!this.isAwaitingAdmission(index, vote)) return;
    const link = this.links[index] as CatchUpLink;
    link.send({
      tag: 'elected',
      term,
      startStreamingAt: start,
      termHistory: history,
      timelineStartLsn,
    });
    if (start < epochStartLsn)
      this.context.onEvent?.(
        vote.flushLsn <= start
          ? `${link.name} is behind (its WAL ends at ${formatLsn(vote.flushLsn)}): catching it up from there`
          : `${link.name} diverged after ${formatLsn(start)}: its later WAL is replaced from there`,
      );
    this.streamer.admit(index, start);
  }

  private isAwaitingAdmission(index: number, vote: VoteResponse): boolean {
    return (
      this.links[index]?.state === 'up' &&
      this.context.voteOf(index) === vote &&
      !this.streamer.streamOf(index).isAdmitted
    );
  }

  /**
   * The acceptors that hold the WAL below what we hold as the term's history has it: those that
   * acknowledged a flush in this term, and voters whose WAL agrees with the history up to there
   * (their divergence point is not below it). Right after the election nobody has acknowledged
   * anything yet, so without the voters a peer admitted first could find no donor at all.
   */
  private donors(): CatchUpLink[] {
    const startLsn = this.buffer.startLsn;
    const { history, term } = this.term;
    const acknowledged: CatchUpLink[] = [];
    const agreeing: CatchUpLink[] = [];
    this.links.forEach((link, index) => {
      if (link.state !== 'up') return;
      if (this.streamer.acknowledgedFlushLsn(index) >= startLsn) acknowledged.push(link);
      else {
        const vote = this.context.voteOf(index);
        if (vote !== undefined && startStreamingAt(history, term, vote) >= startLsn)
          agreeing.push(link);
      }
    });
    return [...acknowledged, ...agreeing];
  }

  /** WAL below what we hold, read back from an acceptor that holds it as the history has it. */
  private async fetchBefore(lsn: Lsn): Promise<void> {
    const buffer = this.buffer;
    const read = this.context.fetchWal ?? fetchWal;
    for (const holder of this.donors()) {
      try {
        const end = buffer.startLsn;
        if (lsn >= end) return;
        const bytes = await read(holder.endpoint, this.context.ids, lsn, end, RECOVERY_TIMEOUT_MS);
        buffer.prepend(lsn, bytes);
        return;
      } catch (error) {
        this.context.onEvent?.(`could not read WAL from ${holder.name}: ${describeError(error)}`);
      }
    }
    throw new AppError(
      'unavailable',
      `no safekeeper could provide WAL from ${formatLsn(lsn)} to catch up a peer`,
    );
  }
}
