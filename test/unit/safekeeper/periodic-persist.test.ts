// The periodic persist loop as a supervised task: a round slower than the check period makes
// the next ticks skip instead of piling rounds up, a failing timeline is only a warning, and the
// loop ends when its signal aborts, after the round in flight.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { sleepMs } from '../../../src/common/deadline.js';
import { runPeriodicPersist } from '../../../src/safekeeper/timeline/periodic-persist.js';

const CHECK_EVERY_MS = 10;
const ROUND_MS = 60;

test('periodic persist: a slow round makes ticks skip, never overlap; abort ends the loop', async () => {
  let running = 0;
  let maxRunning = 0;
  let rounds = 0;
  let finishedRounds = 0;
  const slow = {
    dir: '/slow',
    maybePersistPeriodically: async () => {
      running++;
      rounds++;
      maxRunning = Math.max(maxRunning, running);
      await sleepMs(ROUND_MS);
      running--;
      finishedRounds++;
      return true;
    },
  };
  const failing = {
    dir: '/failing',
    maybePersistPeriodically: () => Promise.reject(new Error('disk full')),
  };
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
  const controller = new AbortController();
  const loop = runPeriodicPersist(
    { loadedTimelines: () => [slow, failing] },
    CHECK_EVERY_MS,
    log,
    controller.signal,
  );
  await sleepMs(ROUND_MS * 4);
  controller.abort();
  await loop;
  assert.equal(maxRunning, 1, 'rounds never overlap');
  assert.ok(rounds >= 2, `several rounds ran (${rounds})`);
  assert.ok(
    rounds <= 5,
    `ticks during a round were skipped (${rounds} rounds in ${ROUND_MS * 4} ms)`,
  );
  assert.equal(finishedRounds, rounds, 'the loop ended only after the round in flight');
  assert.ok(
    warnings.some((line) => line.includes('periodic persist failed') && line.includes('disk full')),
  );
  const roundsAtEnd = rounds;
  await sleepMs(CHECK_EVERY_MS * 5);
  assert.equal(rounds, roundsAtEnd, 'no round after the abort');
});
