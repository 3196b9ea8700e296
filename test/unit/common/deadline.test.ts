// sleepMs and one AbortSignal shared by many sleeps (as `logs --follow` and pollUntil use it):
// listeners must not pile up, and an abort (earlier or during the sleep) ends the sleep at once.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { pollUntil, sleepMs } from '../../../src/common/deadline.js';

const SLEEPS_COUNT = 50;
const LONG_SLEEP_MS = 60_000;

test('sleeping many times on one signal leaves no abort listener behind', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const controller = new AbortController();
    for (let i = 0; i < SLEEPS_COUNT; i++) {
      const sleeping = sleepMs(1, controller.signal);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 1, 'one while asleep');
      await sleeping;
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0, `after sleep ${i}`);
    }
    // Warnings are emitted on the next tick: give them the chance to appear.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      warnings.map((w) => w.name),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});

test('pollUntil on one signal keeps the listener count bounded', async () => {
  const controller = new AbortController();
  let probes = 0;
  let listenersMax = 0;
  const value = await pollUntil(
    () => {
      listenersMax = Math.max(listenersMax, getEventListeners(controller.signal, 'abort').length);
      return Promise.resolve(++probes === SLEEPS_COUNT ? probes : undefined);
    },
    { timeoutMs: LONG_SLEEP_MS, intervalMs: 1, signal: controller.signal },
  );
  assert.equal(value, SLEEPS_COUNT);
  assert.equal(listenersMax, 0, 'no listener is left over while the probe runs');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('an abort during the sleep ends it at once and removes the listener', async () => {
  const controller = new AbortController();
  const begunAtMs = Date.now();
  const sleeping = sleepMs(LONG_SLEEP_MS, controller.signal);
  controller.abort();
  await sleeping;
  assert.ok(Date.now() - begunAtMs < LONG_SLEEP_MS / 2, 'resolved long before the timer');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('a signal aborted before the call resolves at once without adding a listener', async () => {
  const controller = new AbortController();
  controller.abort();
  const begunAtMs = Date.now();
  const sleeping = sleepMs(LONG_SLEEP_MS, controller.signal);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  await sleeping;
  assert.ok(Date.now() - begunAtMs < LONG_SLEEP_MS / 2, 'resolved long before the timer');
});

test('pollUntil with sleepFirst probes only after the first wake, and still once at a deadline', async () => {
  const wake = new AbortController();
  const probedAt: number[] = [];
  const begunAt = Date.now();
  const polled = pollUntil(
    () => {
      probedAt.push(Date.now() - begunAt);
      return Promise.resolve(probedAt.length === 1 ? 'ready' : undefined);
    },
    { timeoutMs: 5000, intervalMs: 5000, sleepFirst: true, wake: () => wake.signal },
  );
  await sleepMs(30);
  assert.deepEqual(probedAt, [], 'nothing before the wake');
  wake.abort();
  assert.equal(await polled, 'ready');
  assert.equal(probedAt.length, 1);

  let lateProbes = 0;
  const expired = await pollUntil(
    () => {
      lateProbes++;
      return Promise.resolve(undefined);
    },
    { timeoutMs: 1, intervalMs: 50, sleepFirst: true },
  );
  assert.equal(expired, undefined);
  assert.equal(lateProbes, 1, 'asked once although the deadline passed during the first sleep');
});
