// Catch-up right after an election, against fake links and a fake WAL read: a voter that is
// behind is caught up from another voter whose WAL agrees with the term's history, even though
// nobody has acknowledged a flush in the new term yet (it used to fail with "no safekeeper could
// provide WAL" when the lagging voter was admitted first); a voter that diverged below the
// buffer is never used as a donor; with no donor at all the catch-up fails clearly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateHexId, parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import type { Lsn } from '../../../src/postgres/lsn.js';
import type { ProposerMessage, VoteResponse } from '../../../src/protocol/proposer-messages.js';
import type { TermSwitch } from '../../../src/protocol/term-history.js';
import type { AcceptorEndpoint, LinkState } from '../../../src/walproposer/acceptor-link.js';
import { CatchUp, type CatchUpLink } from '../../../src/walproposer/catch-up.js';
import { WalBuffer } from '../../../src/walproposer/wal-buffer.js';
import { WalStreamer, type StreamLink } from '../../../src/walproposer/wal-streamer.js';

const TERM = 3n;
const START = 0x1000000n;
const EPOCH = START + 0x8000n;
const HISTORY: TermSwitch[] = [
  { term: 1n, lsn: START },
  { term: TERM, lsn: EPOCH },
];

class FakeLink implements CatchUpLink, StreamLink {
  state: LinkState = 'up';
  readonly sent: ProposerMessage[] = [];
  constructor(
    readonly name: string,
    readonly endpoint: AcceptorEndpoint,
  ) {}
  send(message: ProposerMessage): boolean {
    this.sent.push(message);
    return true;
  }
  sendAppend(): boolean {
    return true;
  }
  waitForDrain(): Promise<void> {
    return Promise.resolve();
  }
}

function vote(flushLsn: Lsn, termHistory: TermSwitch[]): VoteResponse {
  return {
    tag: 'vote',
    term: TERM,
    voteGiven: true,
    flushLsn,
    truncateLsn: 0n,
    termHistory,
    timelineStartLsn: START,
  };
}

function setUp(votes: (VoteResponse | undefined)[]) {
  const links = votes.map(
    (_, index) =>
      new FakeLink(`safekeeper ${index + 1}`, {
        id: index + 1,
        host: '127.0.0.1',
        port: 5000 + index,
      }),
  );
  const buffer = new WalBuffer(EPOCH);
  const streamer = new WalStreamer(
    links,
    buffer,
    { term: TERM, epochStartLsn: EPOCH, proposerId: generateHexId(), truncateLsn: 0n, quorum: 2 },
    () => undefined,
  );
  const reads: { port: number; from: Lsn; to: Lsn }[] = [];
  const failing = new Set<number>();
  const catchUp = new CatchUp(
    links,
    { term: TERM, history: HISTORY, epochStartLsn: EPOCH, timelineStartLsn: START },
    buffer,
    streamer,
    {
      ids: {
        tenantId: parseTenantId('1'.repeat(32)),
        timelineId: parseTimelineId('2'.repeat(32)),
      },
      voteOf: (index) => votes[index],
      fetchWal: (endpoint, _ids, from, to) => {
        reads.push({ port: endpoint.port, from, to });
        if (failing.has(endpoint.port)) return Promise.reject(new Error('connection refused'));
        return Promise.resolve(Buffer.alloc(Number(to - from), 7));
      },
    },
  );
  return { links, buffer, catchUp, reads, failing };
}

test('a lagging voter admitted first is caught up from a voter that agrees with the history', async () => {
  const behind = START + 0x100n;
  const votes = [
    vote(EPOCH, [{ term: 1n, lsn: START }]),
    undefined,
    vote(behind, [{ term: 1n, lsn: START }]),
  ];
  const { catchUp, buffer, reads, links } = setUp(votes);
  // Safekeeper 3 first: no one has acknowledged a flush in term 3 yet.
  await catchUp.admit(2, votes[2] as VoteResponse);
  assert.deepEqual(reads, [{ port: 5000, from: behind, to: EPOCH }]);
  assert.equal(buffer.startLsn, behind);
  assert.equal((links[2]?.sent[0] as { startStreamingAt: Lsn }).startStreamingAt, behind);
});

test('a voter that diverged below the buffer is no donor; none at all is a clear error', async () => {
  // Safekeeper 2 wrote term 2 WAL from START + 0x10: its history disagrees below EPOCH.
  const diverged = vote(EPOCH, [
    { term: 1n, lsn: START },
    { term: 2n, lsn: START + 0x10n },
  ]);
  const votes = [
    vote(EPOCH, [{ term: 1n, lsn: START }]),
    diverged,
    vote(START + 0x20n, [{ term: 1n, lsn: START }]),
  ];
  const { catchUp, reads, failing } = setUp(votes);
  failing.add(5000);
  await assert.rejects(
    catchUp.admit(2, votes[2] as VoteResponse),
    /no safekeeper could provide WAL from 0\/1000020 to catch up a peer/,
  );
  assert.deepEqual(
    reads.map((read) => read.port),
    [5000],
    'only the agreeing voter was asked; the diverged one never',
  );
});
