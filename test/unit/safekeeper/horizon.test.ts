import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLsn } from '../../../src/postgres/lsn.js';
import { computeHorizon, type HorizonState } from '../../../src/safekeeper/remove-wal/horizon.js';

const SEG = 16 * 1024 * 1024;
const l = (text: string): bigint => parseLsn(text);

function state(overrides: Partial<Record<keyof HorizonState, unknown>>): HorizonState {
  return {
    remoteConsistentLsn: l('0/5000000'),
    peerHorizonLsn: l('0/5000000'),
    backupLsn: l('0/5000000'),
    commitLsn: l('0/6800000'),
    flushLsn: l('0/6800000'),
    segmentSizeBytes: SEG,
    backupConfigured: true,
    ...(overrides as Partial<HorizonState>),
  };
}

test('the horizon is the smallest input that counts, and segments below its segment may go', () => {
  // [what, overrides, horizon, limited by, removable below segment]
  const table: [string, Partial<Record<keyof HorizonState, unknown>>, string, string, bigint][] = [
    ['all consumed up to 0/5000000', {}, '0/5000000', 'remote_consistent_lsn', 5n],
    [
      'pageserver behind',
      { remoteConsistentLsn: l('0/2345678') },
      '0/2345678',
      'remote_consistent_lsn',
      2n,
    ],
    ['a peer behind', { peerHorizonLsn: l('0/3000000') }, '0/3000000', 'peer_horizon_lsn', 3n],
    ['S3 behind', { backupLsn: l('0/1000000') }, '0/1000000', 'backup_lsn', 1n],
    [
      'S3 behind but not configured',
      { backupLsn: l('0/0'), backupConfigured: false },
      '0/5000000',
      'remote_consistent_lsn',
      5n,
    ],
    ['nothing offloaded yet', { backupLsn: 0n }, '0/0', 'backup_lsn', 0n],
    ['no pageserver report yet', { remoteConsistentLsn: 0n }, '0/0', 'remote_consistent_lsn', 0n],
    [
      "inputs past commit: capped below the segment before commit's",
      {
        remoteConsistentLsn: l('FFFFFFFF/FEFFFFFF'),
        peerHorizonLsn: l('FFFFFFFF/FEFFFFFF'),
        backupLsn: l('FFFFFFFF/FEFFFFFF'),
        commitLsn: l('0/3000010'),
      },
      'FFFFFFFF/FEFFFFFF',
      'remote_consistent_lsn',
      2n,
    ],
    [
      "flush below commit's segment caps it too",
      {
        remoteConsistentLsn: l('0/9000000'),
        peerHorizonLsn: l('0/9000000'),
        backupLsn: l('0/9000000'),
        commitLsn: l('0/9000000'),
        flushLsn: l('0/4FFFFFF'),
      },
      '0/9000000',
      'remote_consistent_lsn',
      3n,
    ],
    [
      'exactly on a segment boundary: the segment before it may go',
      {
        remoteConsistentLsn: l('0/2000000'),
        peerHorizonLsn: l('0/2000000'),
        backupLsn: l('0/2000000'),
      },
      '0/2000000',
      'remote_consistent_lsn',
      2n,
    ],
    [
      'tie: reported in input order',
      { peerHorizonLsn: l('0/5000000') },
      '0/5000000',
      'remote_consistent_lsn',
      5n,
    ],
    [
      'segment size unknown: nothing',
      { segmentSizeBytes: 0 },
      '0/5000000',
      'remote_consistent_lsn',
      0n,
    ],
  ];
  for (const [what, overrides, horizonLsn, limitedBy, below] of table) {
    const horizon = computeHorizon(state(overrides));
    assert.equal(horizon.horizonLsn, l(horizonLsn), what);
    assert.equal(horizon.limitedBy, limitedBy, what);
    assert.equal(horizon.removableBeforeSegno, below, what);
  }
});

test('removal never reaches the segment holding commit_lsn or flush_lsn, nor the one before', () => {
  const max = l('FFFFFFFF/FEFFFFFF');
  for (let commitSeg = 0n; commitSeg < 20n; commitSeg++) {
    for (const offset of [0n, 1n, BigInt(SEG - 1)]) {
      const commitLsn = commitSeg * BigInt(SEG) + offset;
      for (const flushLsn of [commitLsn, commitLsn + 100n, commitLsn + 3n * BigInt(SEG)]) {
        const horizon = computeHorizon(
          state({
            remoteConsistentLsn: max,
            peerHorizonLsn: max,
            backupLsn: max,
            commitLsn,
            flushLsn,
          }),
        );
        assert.ok(
          horizon.removableBeforeSegno <= (commitSeg > 0n ? commitSeg - 1n : 0n),
          `commit ${commitLsn}`,
        );
        assert.ok(horizon.removableBeforeSegno * BigInt(SEG) <= commitLsn);
        assert.ok(horizon.removableBeforeSegno * BigInt(SEG) <= flushLsn);
      }
    }
  }
});
