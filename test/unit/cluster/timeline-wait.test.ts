import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { parseLsn } from '../../../src/postgres/lsn.js';
import {
  describeCondition,
  parseWaitCondition,
  waitTimeoutError,
} from '../../../src/cluster/timeline-wait.js';
import { parseNodeId } from '../../../src/common/ids.js';

test('wait conditions: NAME>=X/Y, trimmed-before=X/Y, "commit"; anything else a usage error', () => {
  assert.deepEqual(parseWaitCondition('commit_lsn>=0/3000000'), {
    kind: 'lsn',
    lsn: 'commit_lsn',
    target: parseLsn('0/3000000'),
  });
  assert.deepEqual(parseWaitCondition(' backup_lsn >= commit '), {
    kind: 'lsn',
    lsn: 'backup_lsn',
    target: 'commit',
  });
  assert.deepEqual(parseWaitCondition('trimmed-before=1/A'), {
    kind: 'trimmed-before',
    target: parseLsn('1/A'),
  });
  for (const bad of [
    'commit_lsn',
    'commit_lsn>0/1',
    'commit_lsn<=0/1',
    'write_lsn>=0/1',
    'commit_lsn>=0/G',
    'commit_lsn>=',
    'trimmed-before=',
    'trimmed-before>=0/1',
    '',
  ])
    assert.throws(
      () => parseWaitCondition(bad),
      (error: unknown) => error instanceof AppError && error.code === 'usage',
      bad,
    );
  assert.equal(
    describeCondition(parseWaitCondition('flush_lsn>=commit'), parseLsn('0/16B9188')),
    'flush_lsn>=0/16B9188',
  );
});

test('a timeout names each safekeeper that did not get there and what to do', () => {
  const error = waitTimeoutError(
    [
      {
        condition: 'commit_lsn>=0/3000000',
        reached: false,
        waited_ms: 2000,
        safekeepers: [
          { id: parseNodeId('1'), reached: true, value: '0/3000000', problem: null },
          { id: parseNodeId('2'), reached: false, value: '0/2000000', problem: null },
          { id: parseNodeId('3'), reached: false, value: null, problem: 'paused' },
        ],
      },
    ],
    2000,
  );
  assert.equal(error?.code, 'timed-out');
  assert.equal(
    error?.message,
    'commit_lsn>=0/3000000 did not hold within 2s (safekeeper 2: at 0/2000000; safekeeper 3: paused)',
  );
  assert.deepEqual(error?.hints, ['Resume safekeeper 3 with `neon_local sk resume 3`.']);
  assert.equal(waitTimeoutError([], 1000), undefined);
});
