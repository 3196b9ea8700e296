// Bounded parallelism with completion in order (the offload's segment uploads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleepMs } from '../../../src/common/deadline.js';
import { runInOrder } from '../../../src/safekeeper/wal-backup/in-order-jobs.js';

test('jobs run at most N at once and complete in order whatever order they finish in', async () => {
  const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  // Later items finish first within each window.
  const delays = [40, 30, 20, 10, 35, 25, 15, 5, 12, 1];
  let running = 0;
  let maxRunning = 0;
  const completed: number[] = [];
  await runInOrder({
    items,
    jobs: 3,
    signal: new AbortController().signal,
    run: async (item) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleepMs(delays[item]!);
      running--;
    },
    onDone: (item) => {
      completed.push(item);
      return Promise.resolve();
    },
  });
  assert.deepEqual(completed, items);
  assert.equal(maxRunning, 3);
});

test('a failure stops new starts, aborts the ones in flight, and completes only those before it', async () => {
  const started: number[] = [];
  const aborted: number[] = [];
  const completed: number[] = [];
  await assert.rejects(
    runInOrder({
      items: [0, 1, 2, 3, 4, 5],
      jobs: 2,
      signal: new AbortController().signal,
      run: async (item, signal) => {
        started.push(item);
        if (item === 2) {
          await sleepMs(5);
          throw new Error('segment 2 failed');
        }
        await sleepMs(item === 3 ? 1000 : 1, signal);
        if (signal.aborted) {
          aborted.push(item);
          throw new Error('aborted');
        }
      },
      onDone: (item) => {
        completed.push(item);
        return Promise.resolve();
      },
    }),
    /segment 2 failed/,
  );
  assert.deepEqual(completed, [0, 1]);
  assert.deepEqual(started, [0, 1, 2, 3]);
  assert.deepEqual(aborted, [3]);
});

test('the caller aborting ends the run with the abort, after the jobs in flight settled', async () => {
  const controller = new AbortController();
  let settled = 0;
  const run = runInOrder({
    items: [0, 1, 2],
    jobs: 2,
    signal: controller.signal,
    run: async (_item, signal) => {
      await sleepMs(10_000, signal);
      settled++;
      if (signal.aborted) throw new Error('aborted');
    },
    onDone: () => Promise.resolve(),
  });
  setTimeout(() => controller.abort(new Error('stopping')), 10);
  await assert.rejects(run);
  assert.equal(settled, 2);
});

test('a later job failing while an earlier one runs is no unhandled rejection', async () => {
  const completed: number[] = [];
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    await assert.rejects(
      runInOrder({
        items: [0, 1],
        jobs: 2,
        signal: new AbortController().signal,
        run: async (item) => {
          if (item === 1) throw new Error('segment 1 failed');
          await sleepMs(50);
        },
        onDone: (item) => {
          completed.push(item);
          return Promise.resolve();
        },
      }),
      /segment 1 failed/,
    );
    await sleepMs(10);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, 0);
  assert.deepEqual(completed, [0]);
});

test("each onDone gets its run's result, and the next runs start without waiting for onDone", async () => {
  const started: number[] = [];
  const done: string[] = [];
  await runInOrder({
    items: [0, 1, 2],
    jobs: 1,
    signal: new AbortController().signal,
    run: (item) => {
      started.push(item);
      return Promise.resolve(`result ${item}`);
    },
    onDone: async (item, result) => {
      if (item === 0) {
        await sleepMs(20);
        // With one job, items 1 and 2 ran while item 0's completion was pending.
        assert.deepEqual(started, [0, 1, 2]);
      }
      done.push(result);
    },
  });
  assert.deepEqual(done, ['result 0', 'result 1', 'result 2']);
});

test('a slow item holds back new starts only once the window past it is full', async () => {
  let running = 0;
  let maxRunning = 0;
  const startedWhileFirstRan: number[] = [];
  let firstRunning = true;
  const completed: number[] = [];
  await runInOrder({
    items: [0, 1, 2, 3, 4, 5, 6, 7],
    jobs: 2,
    window: 4,
    signal: new AbortController().signal,
    run: async (item) => {
      if (firstRunning && item !== 0) startedWhileFirstRan.push(item);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleepMs(item === 0 ? 80 : 2);
      running--;
      if (item === 0) firstRunning = false;
    },
    onDone: (item) => {
      completed.push(item);
      return Promise.resolve();
    },
  });
  // Beside the slow item 0, the other slot went through items 1-3; item 4 waited for item 0.
  assert.deepEqual(startedWhileFirstRan, [1, 2, 3]);
  assert.equal(maxRunning, 2);
  assert.deepEqual(completed, [0, 1, 2, 3, 4, 5, 6, 7]);
});
