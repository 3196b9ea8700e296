// The end of an etcd key range covering a prefix (inspect reads the election's candidates
// through etcd's JSON gateway): the last byte that is not 0xff, plus one, and nothing after it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefixRangeEnd } from '../../../src/cluster/timeline-inspect.js';

test('prefixRangeEnd', () => {
  const cases: [prefix: number[], end: number[]][] = [
    [
      [0x61, 0x2f],
      [0x61, 0x30],
    ],
    [[0x61, 0xff], [0x62]],
    [[0x61, 0xff, 0xff], [0x62]],
    [[0xfe], [0xff]],
    [[0xff], [0x00]],
    [[0xff, 0xff], [0x00]],
  ];
  for (const [prefix, end] of cases)
    assert.deepEqual(
      [...prefixRangeEnd(Buffer.from(prefix))],
      end,
      Buffer.from(prefix).toString('hex'),
    );
  const prefix = Buffer.from('/neon/t/safekeeper/wal_backup/');
  assert.equal(prefixRangeEnd(prefix).toString(), '/neon/t/safekeeper/wal_backup0');
  assert.equal(prefix.toString(), '/neon/t/safekeeper/wal_backup/', 'the prefix is not changed');
});
