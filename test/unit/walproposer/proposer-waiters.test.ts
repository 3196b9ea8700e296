// The walproposer's waits: a wait resolves once its condition holds when woken, rejects at its
// deadline with the error it names, rejects on failure even when its condition holds, and on
// close only when its condition does not hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { ProposerWaiters } from '../../../src/walproposer/proposer-waiters.js';

const LONG_MS = 60_000;
const SHORT_MS = 30;

/** 'resolved', the rejection's code, or 'pending' after the current macrotask. */
async function outcome(wait: Promise<void>): Promise<string> {
  const settled = wait.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );
  return Promise.race([
    settled,
    new Promise<string>((resolve) => setImmediate(() => resolve('pending'))),
  ]);
}

test('a wait resolves at once when its condition holds, else when woken after it does', async () => {
  const waiters = new ProposerWaiters();
  assert.equal(
    await outcome(
      waiters.until(
        () => true,
        Date.now() + LONG_MS,
        () => undefined,
      ),
    ),
    'resolved',
  );
  let value = 0;
  const wait = waiters.until(
    () => value >= 2,
    Date.now() + LONG_MS,
    () => undefined,
  );
  value = 1;
  waiters.wake();
  assert.equal(await outcome(wait), 'pending', 'not yet');
  value = 2;
  assert.equal(await outcome(wait), 'pending', 'nothing re-checks without a wake');
  waiters.wake();
  assert.equal(await outcome(wait), 'resolved');
});

test('one wake resolves every wait whose condition holds, and only those', async () => {
  const waiters = new ProposerWaiters();
  let commit = 0;
  const waits = [1, 2, 3].map((target) =>
    waiters.until(
      () => commit >= target,
      Date.now() + LONG_MS,
      () => undefined,
    ),
  );
  commit = 2;
  waiters.wake();
  assert.deepEqual(await Promise.all(waits.map(outcome)), ['resolved', 'resolved', 'pending']);
  waiters.close();
  assert.equal(await outcome(waits[2] as Promise<void>), 'wrong-state');
});

test('a wait rejects at its deadline with the error it names, or a plain timed-out one', async () => {
  const waiters = new ProposerWaiters();
  const named = waiters.until(
    () => false,
    Date.now() + SHORT_MS,
    () => new AppError('unavailable', 'no quorum'),
  );
  await assert.rejects(
    named,
    (error: unknown) => error instanceof AppError && error.message === 'no quorum',
  );
  const plain = waiters.until(
    () => false,
    Date.now() + SHORT_MS,
    () => undefined,
  );
  await assert.rejects(
    plain,
    (error: unknown) => error instanceof AppError && error.code === 'timed-out',
  );
});

test('a failure rejects every wait, even one whose condition holds, now and later', async () => {
  const waiters = new ProposerWaiters();
  let done = false;
  const pending = waiters.until(
    () => done,
    Date.now() + LONG_MS,
    () => undefined,
  );
  done = true;
  waiters.fail(new AppError('integrity', 'first'));
  waiters.fail(new AppError('internal', 'second'));
  assert.equal(await outcome(pending), 'integrity');
  const later = waiters.until(
    () => true,
    Date.now() + LONG_MS,
    () => undefined,
  );
  assert.equal(await outcome(later), 'integrity', 'the first failure is kept');
});

test('a close rejects the waits whose condition does not hold', async () => {
  const waiters = new ProposerWaiters();
  let committed = false;
  const open = waiters.until(
    () => committed,
    Date.now() + LONG_MS,
    () => undefined,
  );
  waiters.close();
  assert.equal(await outcome(open), 'wrong-state');
  committed = true;
  const satisfied = waiters.until(
    () => committed,
    Date.now() + LONG_MS,
    () => undefined,
  );
  assert.equal(await outcome(satisfied), 'resolved', 'a condition that holds still resolves');
});
