// The pageserver timeline's position waits: settled by the first check() that finds the
// position at its target (not before), at once when it is there already, false when aborted,
// and refused past LSN_WAITERS_MAX.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../../../src/common/errors.js';
import {
  LSN_WAITERS_MAX,
  LsnWaiters,
  type TimelinePositionName,
} from '../../../src/pageserver/timeline/lsn-waiters.js';

function makeWaiters() {
  const positions: Record<TimelinePositionName, bigint> = {
    received_lsn: 100n,
    durable_lsn: 50n,
    uploaded_lsn: 0n,
  };
  return { positions, waiters: new LsnWaiters((name) => positions[name]) };
}

test('a wait settles at the first check that finds its position at the target', async () => {
  const { positions, waiters } = makeWaiters();
  const settled: string[] = [];
  const never = new AbortController().signal;
  const table: [TimelinePositionName, bigint][] = [
    ['durable_lsn', 80n],
    ['durable_lsn', 120n],
    ['received_lsn', 120n],
    ['uploaded_lsn', 1n],
  ];
  const waits = table.map(([name, target]) =>
    waiters.wait(name, target, never).then((reached) => {
      settled.push(`${name}>=${target}:${reached}`);
    }),
  );
  const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  waiters.check();
  await flush();
  assert.deepEqual(settled, [], 'nothing moved');
  positions.durable_lsn = 80n;
  waiters.check();
  await flush();
  assert.deepEqual(settled, ['durable_lsn>=80:true']);
  positions.received_lsn = 130n;
  positions.durable_lsn = 130n;
  positions.uploaded_lsn = 130n;
  waiters.check();
  await Promise.all(waits);
  assert.deepEqual(settled.slice(1).sort(), [
    'durable_lsn>=120:true',
    'received_lsn>=120:true',
    'uploaded_lsn>=1:true',
  ]);
  assert.equal(await waiters.wait('received_lsn', 130n, never), true, 'reached already');
});

test('an aborted wait answers false and is forgotten; past the limit waits are refused', async () => {
  const { positions, waiters } = makeWaiters();
  const abort = new AbortController();
  const aborted = waiters.wait('durable_lsn', 1000n, abort.signal);
  abort.abort();
  assert.equal(await aborted, false);
  assert.equal(await waiters.wait('durable_lsn', 1000n, abort.signal), false, 'aborted before');
  const never = new AbortController().signal;
  const open = Array.from({ length: LSN_WAITERS_MAX }, () =>
    waiters.wait('durable_lsn', 1000n, never),
  );
  await assert.rejects(waiters.wait('durable_lsn', 1000n, never), (error: unknown) => {
    assert.ok(isAppError(error) && error.code === 'unavailable', String(error));
    return true;
  });
  positions.durable_lsn = 1000n;
  waiters.check();
  assert.deepEqual(
    await Promise.all(open),
    open.map(() => true),
  );
});
