// The campaign against fake links: vote requests go out once a quorum greeted, in a term above
// every greeting; a higher term or a refusal in ours starts a campaign above it; a quorum of
// votes from connected acceptors ends it once; afterwards votes are late votes and a higher
// term is a newer proposer. Malformed histories and endless campaigns are errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import type { LinkState } from '../../../src/walproposer/acceptor-link.js';
import type { ProposerMessage, VoteResponse } from '../../../src/protocol/proposer-messages.js';
import type { TermSwitch } from '../../../src/protocol/term-history.js';
import { Campaign, type CampaignLink } from '../../../src/walproposer/campaign.js';

class FakeLink implements CampaignLink {
  state: LinkState = 'up';
  readonly sent: ProposerMessage[] = [];
  constructor(readonly name: string) {}
  send(message: ProposerMessage): boolean {
    this.sent.push(message);
    return true;
  }
  /** The terms of the vote requests sent, in order. */
  requestedTerms(): bigint[] {
    return this.sent.flatMap((message) => (message.tag === 'vote' ? [message.term] : []));
  }
}

function vote(term: bigint, voteGiven: boolean, termHistory: TermSwitch[] = []): VoteResponse {
  return {
    tag: 'vote',
    term,
    voteGiven,
    flushLsn: 0n,
    truncateLsn: 0n,
    termHistory,
    timelineStartLsn: 0n,
  };
}

function setUp(count = 3) {
  const links = Array.from(
    { length: count },
    (_, index) => new FakeLink(`safekeeper ${index + 1}`),
  );
  const events = { quorums: 0, late: [] as number[] };
  const campaign = new Campaign(links, Math.floor(count / 2) + 1, {
    onQuorumVoted: () => events.quorums++,
    onLateVote: (index) => events.late.push(index),
  });
  return { links, events, campaign };
}

test('votes are requested once a quorum greeted, above the highest term greeted', () => {
  const { links, campaign } = setUp();
  campaign.onGreeting(0, 7n);
  assert.deepEqual(links[0]?.requestedTerms(), [], 'one greeting is no quorum');
  campaign.onGreeting(1, 3n);
  assert.equal(campaign.term, 8n);
  assert.deepEqual(
    links.map((link) => link.requestedTerms()),
    [[8n], [8n], []],
  );
  campaign.onGreeting(2, 9n);
  assert.deepEqual(links[2]?.requestedTerms(), [8n], 'a later greeting is asked for the term');
});

test('a higher term or a refusal in ours starts a campaign above it; old answers count nothing', () => {
  const { links, campaign, events } = setUp();
  campaign.onGreeting(0, 1n);
  campaign.onGreeting(1, 1n);
  campaign.onVote(0, vote(5n, false));
  assert.equal(campaign.term, 6n);
  campaign.onVote(1, vote(6n, false));
  assert.equal(campaign.term, 7n, 'our term was given to someone else');
  campaign.onVote(0, vote(6n, true));
  assert.equal(campaign.term, 7n, 'an answer to an earlier request');
  assert.equal(campaign.voteOf(0), undefined);
  assert.deepEqual(links[0]?.requestedTerms(), [2n, 6n, 7n]);
  assert.equal(events.quorums, 0);
});

test('a quorum of connected voters ends the campaign once; later votes are late', () => {
  const { links, campaign, events } = setUp();
  campaign.onGreeting(0, 0n);
  campaign.onGreeting(1, 0n);
  campaign.onGreeting(2, 0n);
  campaign.onVote(0, vote(1n, true));
  (links[0] as FakeLink).state = 'down';
  campaign.onVote(1, vote(1n, true));
  assert.equal(events.quorums, 0, 'a voter that is not connected does not count');
  (links[0] as FakeLink).state = 'up';
  campaign.forget(0);
  campaign.onVote(1, vote(1n, true));
  assert.equal(events.quorums, 0, 'a forgotten vote does not count');
  campaign.onVote(2, vote(1n, true));
  assert.equal(events.quorums, 1);
  assert.deepEqual(campaign.voterIndices(), [1, 2]);
  // A reconnected acceptor's vote was given before this connection: it is ours, late.
  campaign.onGreeting(0, 1n);
  campaign.onVote(0, vote(1n, false));
  assert.deepEqual(events.late, [0]);
  assert.equal(events.quorums, 1);
  assert.throws(
    () => campaign.onVote(1, vote(2n, false)),
    (error: unknown) => error instanceof AppError && error.code === 'wrong-state',
  );
});

test('a vote with an unordered history is refused; endless campaigns are given up', () => {
  const { campaign } = setUp();
  campaign.onGreeting(0, 0n);
  campaign.onGreeting(1, 0n);
  const unordered = [
    { term: 2n, lsn: 100n },
    { term: 1n, lsn: 200n },
  ];
  assert.throws(
    () => campaign.onVote(0, vote(1n, true, unordered)),
    (error: unknown) => error instanceof AppError && error.code === 'integrity',
  );
  assert.throws(
    () => {
      for (let round = 0; round < 20; round++) campaign.onVote(1, vote(campaign.term + 1n, false));
    },
    (error: unknown) =>
      error instanceof AppError && /gave up after 16 campaigns/.test(error.message),
  );
});
