// The walproposer's election decisions as tables: donor choice by (last log term, flush_lsn),
// the announced history, each acceptor's streaming start (its divergence point), quorum commit
// (earlier terms' WAL is not committed by counting copies, checked against a sorting reference),
// the recovery boundary, the history order check and the whole plan of a term.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findHistoryDisorder, type TermSwitch } from '../../../src/protocol/term-history.js';
import {
  minFlushLsn,
  planTerm,
  pickDonor,
  proposerHistory,
  quorumFlushLsn,
  quorumOf,
  recoveryBoundary,
  startStreamingAt,
  type VoteState,
} from '../../../src/walproposer/election.js';

const h = (...entries: [number, number][]): TermSwitch[] =>
  entries.map(([term, lsn]) => ({ term: BigInt(term), lsn: BigInt(lsn) }));

function vote(flushLsn: number, history: TermSwitch[], truncateLsn = 0, start = 100): VoteState {
  return {
    flushLsn: BigInt(flushLsn),
    truncateLsn: BigInt(truncateLsn),
    termHistory: history,
    timelineStartLsn: BigInt(start),
  };
}

test('quorum is a strict majority', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(quorumOf), [1, 2, 2, 3, 3]);
});

test('the donor has the highest last log term, then the highest flush_lsn', () => {
  const cases: { votes: VoteState[]; donor: number }[] = [
    { votes: [vote(500, h([1, 100])), vote(700, h([1, 100]))], donor: 1 },
    // A higher epoch wins over more WAL of an older term.
    { votes: [vote(900, h([1, 100])), vote(600, h([1, 100], [2, 500]))], donor: 1 },
    // A history entry beyond flush_lsn does not count (the epoch is the term at flush).
    { votes: [vote(400, h([1, 100], [3, 450])), vote(420, h([1, 100], [2, 300]))], donor: 1 },
    { votes: [vote(0, []), vote(0, [])], donor: 0 },
  ];
  for (const { votes, donor } of cases) assert.equal(pickDonor(votes), votes[donor]);
});

test('the proposer history is the donor history plus the new term at the donor end', () => {
  assert.deepEqual(
    proposerHistory(vote(800, h([1, 100], [2, 500])), 5n, 800n),
    h([1, 100], [2, 500], [5, 800]),
  );
  assert.deepEqual(proposerHistory(vote(0, []), 1n, 100n), h([1, 100]));
});

test('each acceptor streams from its divergence point', () => {
  const history = h([1, 100], [2, 500], [4, 800]);
  const cases: { name: string; acceptor: VoteState; start: number }[] = [
    { name: 'empty acceptor: from the start of the history', acceptor: vote(0, []), start: 100 },
    { name: 'same terms, lagging: from its flush', acceptor: vote(300, h([1, 100])), start: 300 },
    {
      name: 'term 2 complete, term 4 missing',
      acceptor: vote(800, h([1, 100], [2, 500])),
      start: 800,
    },
    {
      name: 'uncommitted term-2 WAL beyond the term-4 start is cut',
      acceptor: vote(950, h([1, 100], [2, 500])),
      start: 800,
    },
    {
      name: 'a term the proposer does not know (3) diverges at its start',
      acceptor: vote(900, h([1, 100], [2, 500], [3, 700])),
      start: 700,
    },
    {
      name: 'already in the new term: from its flush',
      acceptor: vote(850, h([1, 100], [2, 500], [4, 800])),
      start: 850,
    },
    { name: 'no common term at all', acceptor: vote(300, h([7, 100])), start: 100 },
  ];
  for (const { name, acceptor, start } of cases)
    assert.equal(startStreamingAt(history, 4n, acceptor), BigInt(start), name);
});

test('commit is the quorum-th highest flush at or past the epoch start', () => {
  const l = (...values: number[]): bigint[] => values.map(BigInt);
  assert.equal(quorumFlushLsn(l(900, 700, 800), 2, 500n), 800n);
  assert.equal(quorumFlushLsn(l(900, 0, 0), 2, 500n), 0n);
  // Copies of an earlier term below the epoch start do not commit anything.
  assert.equal(quorumFlushLsn(l(900, 400, 450), 2, 500n), 0n);
  assert.equal(quorumFlushLsn(l(900, 500, 450), 2, 500n), 500n);
  assert.equal(minFlushLsn(l(900, 500, 700)), 500n);
  assert.equal(minFlushLsn([]), 0n);
});

test('the recovery boundary is the highest known record boundary below the donor end', () => {
  assert.equal(recoveryBoundary(vote(800, h([1, 100], [2, 500]), 650), 650n), 650n);
  assert.equal(recoveryBoundary(vote(800, h([1, 100], [2, 500]), 0), 0n), 500n);
  assert.equal(recoveryBoundary(vote(800, h([1, 100], [2, 800])), 0n), 100n);
  assert.equal(recoveryBoundary(vote(100, h([1, 100])), 0n), undefined);
  assert.equal(recoveryBoundary(vote(0, []), 0n), undefined);
});

/** The quorum commit as first written: the quorum-th highest of the counted flushes. */
function sortedQuorumFlush(flushLsns: readonly bigint[], quorum: number, epochStartLsn: bigint) {
  const counted = flushLsns
    .map((lsn) => (lsn >= epochStartLsn ? lsn : 0n))
    .sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  return counted[quorum - 1] ?? 0n;
}

test('the quorum flush agrees with taking the quorum-th of the sorted flushes', () => {
  // A fixed pseudo-random sequence: few distinct values, so that ties and zeros are common.
  let seed = 12345;
  const next = (bound: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % bound;
  };
  for (let round = 0; round < 2000; round++) {
    const count = 1 + next(7);
    const flushes = Array.from({ length: count }, () => BigInt(next(6) * 100));
    const quorum = 1 + next(count + 1);
    const epochStartLsn = BigInt(next(5) * 100);
    assert.equal(
      quorumFlushLsn(flushes, quorum, epochStartLsn),
      sortedQuorumFlush(flushes, quorum, epochStartLsn),
      `flushes ${flushes.join(',')}, quorum ${quorum}, epoch start ${epochStartLsn}`,
    );
  }
});

test('a history is ordered when terms strictly rise and LSNs do not fall', () => {
  const cases: { history: TermSwitch[]; disorder: number | undefined }[] = [
    { history: h(), disorder: undefined },
    { history: h([1, 100]), disorder: undefined },
    { history: h([1, 100], [2, 100], [5, 900]), disorder: undefined },
    { history: h([1, 100], [1, 200]), disorder: 1 },
    { history: h([2, 100], [1, 200]), disorder: 1 },
    { history: h([1, 100], [2, 300], [3, 200]), disorder: 2 },
  ];
  for (const { history, disorder } of cases)
    assert.equal(
      findHistoryDisorder(history),
      disorder,
      JSON.stringify(history, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
    );
});

test('a term is planned on the donor, from the lowest LSN a voter or the recovery needs', () => {
  // Three voters: the donor (term 2 up to 800), one lagging in term 2, one with term-3 WAL
  // of a proposer that did not win (diverging at 600).
  const donor = vote(800, h([1, 100], [2, 500]), 300);
  const lagging = vote(650, h([1, 100], [2, 500]), 200);
  const diverged = vote(700, h([1, 100], [2, 500], [3, 600]), 250);
  const plan = planTerm([lagging, donor, diverged], 4n, 16n);
  assert.equal(plan.donor, diverged, 'the highest last log term wins');
  assert.equal(plan.epochStartLsn, 700n);
  assert.deepEqual(plan.history, h([1, 100], [2, 500], [3, 600], [4, 700]));
  assert.equal(plan.truncateLsn, 300n);
  assert.equal(plan.timelineStartLsn, 100n);
  // Streaming starts: lagging 650, donor 600 (its term 2 ends there for us), diverged 700;
  // the recovery boundary is term 3's start, 600.
  assert.equal(plan.holdFromLsn, 600n);

  const fresh = planTerm([vote(0, [], 0, 0), vote(0, [], 0, 0)], 1n, 16_777_216n);
  assert.equal(fresh.timelineStartLsn, 16_777_216n, 'a new timeline starts at the default');
  assert.equal(fresh.epochStartLsn, 16_777_216n);
  assert.deepEqual(fresh.history, h([1, 16_777_216]));
  assert.equal(fresh.holdFromLsn, 16_777_216n, 'nothing to read back');

  // An acceptor that lost everything is caught up from the start of the history.
  const wiped = planTerm([vote(900, h([1, 100]), 400), vote(0, [], 0, 0)], 2n, 16n);
  assert.equal(wiped.epochStartLsn, 900n);
  assert.equal(wiped.holdFromLsn, 100n);
});
