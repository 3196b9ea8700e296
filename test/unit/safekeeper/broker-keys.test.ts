import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseTimelineInfoKey,
  timelineInfoKey,
  walBackupElectionKey,
} from '../../../src/safekeeper/broker/broker-keys.js';
import {
  encodeTimelineInfo,
  parseTimelineInfo,
} from '../../../src/protocol/safekeeper-timeline-info.js';
import { parseLsn } from '../../../src/postgres/lsn.js';

const T = 'ab'.repeat(16);
const L = 'cd'.repeat(16);

test('timeline_info keys carry node ids of any number of digits; other keys are not info', () => {
  for (const id of [1, 9, 10, 123, 2147483647]) {
    const key = timelineInfoKey('neon', T, L, id);
    assert.equal(key, `neon/${T}/${L}/safekeeper/timeline_info/${id}`);
    assert.deepEqual(parseTimelineInfoKey('neon', key), { tenantId: T, timelineId: L, nodeId: id });
  }
  const election = walBackupElectionKey('neon', T, L);
  assert.equal(election, `neon/${T}/${L}/safekeeper/wal_backup`);
  for (const key of [
    election,
    `${election}/694d7b4c1a2b3c4d`,
    `neon/${T}/${L}/safekeeper/timeline_info/0`,
    `neon/${T}/${L}/safekeeper/timeline_info/01`,
    `neon/${T}/${L}/safekeeper/timeline_info/2147483648`,
    `neon/${T}/${L}/safekeeper/timeline_info/1/x`,
    `neon/${T}/${L}/safekeeper/1`,
    `neon/XYZ/${L}/safekeeper/timeline_info/1`,
    `neonx/${T}/${L}/safekeeper/timeline_info/1`,
    `other/${T}/${L}/safekeeper/timeline_info/1`,
  ])
    assert.equal(parseTimelineInfoKey('neon', key), undefined, key);
});

test('timeline info: round trip, and a bad value is refused with its reason', () => {
  const info = {
    lastLogTerm: 2n,
    flushLsn: parseLsn('0/3A1F2C8'),
    commitLsn: parseLsn('0/3A1F2C8'),
    backupLsn: parseLsn('0/3000000'),
    remoteConsistentLsn: parseLsn('0/169AD58'),
    peerHorizonLsn: parseLsn('0/3A1F2C8'),
    safekeeperConnectionString: '127.0.0.1:5454',
    localStartLsn: parseLsn('0/1000000'),
  };
  const document = encodeTimelineInfo(info);
  assert.equal(document.commit_lsn, '0/3A1F2C8');
  assert.deepEqual(parseTimelineInfo(JSON.parse(JSON.stringify(document))), { ok: true, info });
  assert.deepEqual(parseTimelineInfo({ backup_lsn: 'FFFFFFFF/FEFFFFFF' }), {
    ok: true,
    info: { backupLsn: parseLsn('FFFFFFFF/FEFFFFFF') },
  });
  for (const bad of [
    null,
    [],
    'x',
    { backup_lsn: 5 },
    { backup_lsn: '0/G' },
    { commit_lsn: '1/2/3' },
    { last_log_term: -1 },
    { last_log_term: 1.5 },
    { last_log_term: '2' },
    { s3_wal_lsn: '0/0' },
    { safekeeper_connection_string: 7 },
  ]) {
    const parsed = parseTimelineInfo(bad);
    assert.equal(parsed.ok, false, JSON.stringify(bad));
  }
});
