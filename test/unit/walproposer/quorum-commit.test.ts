// The quorum commit of a term: commit_lsn rises only when a quorum flushed past it in this term,
// truncate_lsn follows the lowest flush of all, stale or repeated flushes change nothing, and
// the assertions fire when commit_lsn would pass the WAL proposed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssertionError } from '../../../src/common/assert.js';
import { QuorumCommit } from '../../../src/walproposer/quorum-commit.js';

const END = 10_000n;

test('commit_lsn is the highest flush a quorum reached, and says when it rose', () => {
  const commit = new QuorumCommit(3, 2, 1000n, 0n);
  assert.equal(commit.recordFlush(0, 3000n, END), false, 'one acceptor is no quorum');
  assert.equal(commit.commitLsn, 0n);
  assert.equal(commit.recordFlush(1, 2000n, END), true);
  assert.equal(commit.commitLsn, 2000n);
  assert.equal(commit.recordFlush(2, 1500n, END), false, 'a third, lower flush adds nothing');
  assert.equal(commit.commitLsn, 2000n);
  assert.equal(commit.recordFlush(2, 4000n, END), true);
  assert.equal(commit.commitLsn, 3000n);
  assert.deepEqual(
    [0, 1, 2].map((index) => commit.flushLsnOf(index)),
    [3000n, 2000n, 4000n],
  );
});

test('flushes below the epoch start commit nothing, and old flushes are ignored', () => {
  const commit = new QuorumCommit(3, 2, 1000n, 0n);
  commit.recordFlush(0, 900n, END);
  assert.equal(commit.recordFlush(1, 950n, END), false, 'earlier-term WAL is not committed');
  assert.equal(commit.commitLsn, 0n);
  assert.equal(commit.recordFlush(1, 1000n, END), false, 'one acceptor at the epoch start');
  assert.equal(commit.recordFlush(0, 1200n, END), true);
  assert.equal(commit.commitLsn, 1000n);
  assert.equal(commit.recordFlush(0, 1100n, END), false, 'a lower flush is stale');
  assert.equal(commit.flushLsnOf(0), 1200n);
});

test('truncate_lsn is the lowest flush of all acceptors, never below where the term began', () => {
  const commit = new QuorumCommit(3, 2, 1000n, 500n);
  commit.recordFlush(0, 2000n, END);
  commit.recordFlush(1, 3000n, END);
  assert.equal(commit.truncateLsn, 500n, 'one acceptor has not reported');
  commit.recordFlush(2, 400n, END);
  assert.equal(commit.truncateLsn, 500n, 'the lowest flush (400) is below the start (500)');
  commit.recordFlush(2, 1500n, END);
  assert.equal(commit.truncateLsn, 1500n);
});

test('a commit beyond the WAL proposed, or an impossible quorum, fails an assertion', () => {
  const commit = new QuorumCommit(3, 2, 1000n, 0n);
  commit.recordFlush(0, 5000n, 5000n);
  assert.throws(() => commit.recordFlush(1, 5000n, 4000n), AssertionError);
  assert.throws(() => new QuorumCommit(2, 3, 0n, 0n), AssertionError);
  assert.throws(() => commit.recordFlush(3, 100n, END), AssertionError);
});
