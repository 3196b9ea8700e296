// One acceptor's stream state: admission sets where streaming starts, a commit report counts
// only when higher, a lost connection keeps what was acknowledged, and admission below what
// the acceptor acknowledged (or twice on one connection) fails an assertion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssertionError } from '../../../src/common/assert.js';
import { AcceptorStream } from '../../../src/walproposer/acceptor-stream.js';

test('a stream starts where it is admitted and advances by what went out', () => {
  const stream = new AcceptorStream();
  assert.equal(stream.isAdmitted, false);
  stream.admit(4000n, 0n);
  assert.deepEqual(
    [stream.isAdmitted, stream.streamStartLsn, stream.nextLsn],
    [true, 4000n, 4000n],
  );
  stream.advance(500);
  stream.recordCommitSent(4200n);
  assert.deepEqual([stream.nextLsn, stream.sentCommitLsn], [4500n, 4200n]);
  assert.equal(stream.acknowledgeCommit(4200n), true);
  assert.equal(stream.acknowledgeCommit(4200n), false, 'the same commit again');
  assert.equal(stream.acknowledgeCommit(4100n), false, 'a lower commit');
  assert.equal(stream.ackedCommitLsn, 4200n);
});

test('a lost connection ends the admission and the drain wait, not what was acknowledged', () => {
  const stream = new AcceptorStream();
  stream.admit(4000n, 0n);
  stream.startDraining();
  stream.acknowledgeCommit(4300n);
  stream.detach();
  assert.deepEqual(
    [stream.isAdmitted, stream.isDraining, stream.ackedCommitLsn],
    [false, false, 4300n],
  );
  stream.admit(4300n, 4300n);
  assert.equal(stream.nextLsn, 4300n, 'admitted again on the next connection');
});

test('admission twice, or below the commit or flush the acceptor acknowledged, is a bug', () => {
  const twice = new AcceptorStream();
  twice.admit(100n, 0n);
  assert.throws(() => twice.admit(100n, 0n), AssertionError);
  const committed = new AcceptorStream();
  committed.admit(100n, 0n);
  committed.acknowledgeCommit(900n);
  committed.detach();
  assert.throws(() => committed.admit(800n, 0n), AssertionError);
  assert.throws(() => new AcceptorStream().admit(800n, 900n), AssertionError);
});
