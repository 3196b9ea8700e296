// The campaign of a walproposer: counts greetings, asks for votes in a term above every greeted
// acceptor's, campaigns again above a higher term or a refusal, and ends once a quorum voted for
// its term. Owns the term (which never goes back) and each acceptor's greeting and vote on its
// current connection. After the campaign, votes of (re)connected acceptors in its term are
// handed on as late votes; what a vote leads to (settlement, catch-up) is decided elsewhere.
import { assert } from '../common/assert.js';
import { AppError } from '../common/errors.js';
import type { VoteResponse } from '../protocol/proposer-messages.js';
import type { Term } from '../protocol/term-history.js';
import type { AcceptorLink } from './acceptor-link.js';
import { findHistoryDisorder } from '../protocol/term-history.js';

/** Campaigns restarted because another proposer held a higher term, at most. */
const MAX_CAMPAIGNS = 16;

export type CampaignLink = Pick<AcceptorLink, 'name' | 'state' | 'send'>;

export interface CampaignListener {
  /** A quorum voted for the term: the campaign is over. */
  onQuorumVoted(): void;
  /** Acceptor `index` voted for the term after the campaign was over. */
  onLateVote(index: number, vote: VoteResponse): void;
  /** Progress for a person. */
  onEvent?: ((message: string) => void) | undefined;
}

export class Campaign {
  private currentTerm: Term = 0n;
  private campaigns = 0;
  private open = true;
  /** Per acceptor, the term its greeting carried on the current connection. */
  private readonly greetedTerms: (Term | undefined)[];
  /** Per acceptor, its vote for the current term on the current connection. */
  private readonly votes: (VoteResponse | undefined)[];

  constructor(
    private readonly links: readonly CampaignLink[],
    private readonly quorum: number,
    private readonly listener: CampaignListener,
  ) {
    this.greetedTerms = links.map(() => undefined);
    this.votes = links.map(() => undefined);
  }

  /** The term campaigned for (0 before the first campaign). */
  get term(): Term {
    return this.currentTerm;
  }
  voteOf(index: number): VoteResponse | undefined {
    return this.votes[index];
  }
  /** The connected acceptors that voted for the term. */
  voterIndices(): number[] {
    const voters: number[] = [];
    for (let index = 0; index < this.links.length; index++)
      if (this.votes[index] !== undefined && this.links[index]?.state === 'up') voters.push(index);
    return voters;
  }

  /** Acceptor `index` greeted us on a new connection, in its term `term`. */
  onGreeting(index: number, term: Term): void {
    this.greetedTerms[index] = term;
    if (!this.open || this.currentTerm !== 0n) {
      if (this.currentTerm !== 0n) this.linkAt(index).send({ tag: 'vote', term: this.currentTerm });
      return;
    }
    let greeted = 0;
    let highestTerm = 0n;
    for (const greetedTerm of this.greetedTerms) {
      if (greetedTerm === undefined) continue;
      greeted++;
      if (greetedTerm > highestTerm) highestTerm = greetedTerm;
    }
    if (greeted >= this.quorum) this.campaign(highestTerm + 1n);
  }

  onVote(index: number, vote: VoteResponse): void {
    if (vote.term > this.currentTerm) {
      if (!this.open)
        throw new AppError(
          'wrong-state',
          `${this.linkAt(index).name} is in term ${vote.term}: a newer proposer took over term ${this.currentTerm}`,
        );
      this.campaign(vote.term + 1n);
      return;
    }
    // An answer to an earlier campaign's request counts for nothing.
    if (vote.term < this.currentTerm) return;
    // Our term, not granted now. After the campaign, the vote was given to us before this
    // connection (a reconnect); during it, someone else may hold it: campaign above it.
    if (!vote.voteGiven && this.open) {
      this.campaign(this.currentTerm + 1n);
      return;
    }
    this.recordVote(index, vote);
    if (!this.open) {
      this.listener.onLateVote(index, vote);
      return;
    }
    if (this.voterIndices().length < this.quorum) return;
    this.open = false;
    this.listener.onQuorumVoted();
  }

  /** Acceptor `index`'s connection is gone: its greeting and vote go with it. */
  forget(index: number): void {
    this.greetedTerms[index] = undefined;
    this.votes[index] = undefined;
  }

  private campaign(term: Term): void {
    if (++this.campaigns > MAX_CAMPAIGNS)
      throw new AppError(
        'wrong-state',
        `gave up after ${MAX_CAMPAIGNS} campaigns: another proposer keeps raising the term`,
      );
    assert(
      term > this.currentTerm,
      () => `the term goes from ${this.currentTerm} up, not to ${term}`,
    );
    this.currentTerm = term;
    // Votes of an earlier campaign do not count for this one.
    this.votes.fill(undefined);
    this.listener.onEvent?.(`campaigning for term ${term}`);
    for (let index = 0; index < this.links.length; index++)
      if (this.greetedTerms[index] !== undefined) this.linkAt(index).send({ tag: 'vote', term });
  }

  private recordVote(index: number, vote: VoteResponse): void {
    assert(vote.term === this.currentTerm, 'a vote counted for the campaign is in its term');
    const disorder = findHistoryDisorder(vote.termHistory);
    if (disorder !== undefined)
      throw new AppError(
        'integrity',
        `${this.linkAt(index).name} voted with a term history out of order at entry ${disorder}`,
      );
    this.votes[index] = vote;
  }

  private linkAt(index: number): CampaignLink {
    return this.links[index] as CampaignLink;
  }
}
