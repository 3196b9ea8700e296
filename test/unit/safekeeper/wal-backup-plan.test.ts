// The pure decisions of WAL offload: which segments are pending, who may campaign, object keys,
// the upload backoff and the lease TTL rounding.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLsn } from '../../../src/postgres/lsn.js';
import {
  BucketProbe,
  candidateValue,
  checkEligibility,
  electionName,
  leaseTtlSeconds,
  nodeIdOfCandidate,
  pendingSegments,
  segmentEndLsn,
  segmentObjectKey,
  uploadBackoffMs,
} from '../../../src/safekeeper/wal-backup/offload-plan.js';

const MIB = 1024 * 1024;
const SEG16 = 16 * MIB;

test('pending segments: complete ones from backup_lsn up to the one holding commit_lsn', () => {
  const cases: [string, string, number, [bigint, bigint] | undefined][] = [
    // backup, commit, segment size -> [from, to) or nothing
    ['0/1000000', '0/1000000', SEG16, undefined],
    ['0/1000000', '0/1FFFFFF', SEG16, undefined], // the partial tail is never uploaded
    ['0/1000000', '0/2000000', SEG16, [1n, 2n]], // commit exactly at the end completes it
    ['0/1000000', '0/4123456', SEG16, [1n, 4n]],
    ['0/1800000', '0/4123456', SEG16, [1n, 4n]], // backup mid-segment: that segment again
    ['0/5000000', '0/4123456', SEG16, undefined], // peers uploaded further than we committed
    ['0/100000', '0/580000', MIB, [1n, 5n]],
    ['0/0', '0/0', 0, undefined], // no greeting yet
  ];
  for (const [backup, commit, size, expected] of cases) {
    const pending = pendingSegments({
      backupLsn: parseLsn(backup),
      commitLsn: parseLsn(commit),
      segmentSizeBytes: size,
    });
    assert.deepEqual(
      pending === undefined ? undefined : [pending.fromSegno, pending.toSegno],
      expected,
      `backup ${backup}, commit ${commit}, segment ${size}`,
    );
  }
  assert.equal(segmentEndLsn(1n, SEG16), parseLsn('0/2000000'));
  assert.equal(segmentEndLsn(255n, SEG16), parseLsn('1/0'));
});

test('eligibility: only a safekeeper holding the WAL from backup_lsn on may campaign', () => {
  const base = {
    segmentSizeBytes: SEG16,
    localStartLsn: parseLsn('0/1000000'),
    backupLsn: parseLsn('0/2000000'),
    firstSegmentPresent: true,
  };
  const cases: [Partial<typeof base>, RegExp | undefined][] = [
    [{}, undefined],
    [{ localStartLsn: parseLsn('0/2000000') }, undefined], // equal is enough
    [
      { localStartLsn: parseLsn('0/2000001') },
      /local WAL starts at 0\/2000001, after backup_lsn 0\/2000000/,
    ],
    [{ localStartLsn: 0n }, /no proposer elected/],
    [{ segmentSizeBytes: 0 }, /segment size unknown/],
    [{ firstSegmentPresent: false }, /is not on this safekeeper/],
  ];
  for (const [change, reason] of cases) {
    const eligibility = checkEligibility({ ...base, ...change });
    if (reason === undefined)
      assert.deepEqual(
        eligibility,
        { eligible: true },
        JSON.stringify(change, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      );
    else {
      assert.equal(eligibility.eligible, false);
      assert.match(eligibility.eligible ? '' : eligibility.reason, reason);
    }
  }
});

test('object keys: prefix trimmed of slashes, never a leading slash', () => {
  const t = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const l = '7e57ab1e7e57ab1e7e57ab1e7e57ab1e';
  const name = '000000010000000000000002';
  const cases: [string | undefined, string][] = [
    [undefined, `${t}/${l}/${name}`],
    ['', `${t}/${l}/${name}`],
    ['/', `${t}/${l}/${name}`],
    ['wal', `wal/${t}/${l}/${name}`],
    ['/wal/', `wal/${t}/${l}/${name}`],
    ['a/b//', `a/b/${t}/${l}/${name}`],
  ];
  for (const [prefix, key] of cases) assert.equal(segmentObjectKey(prefix, t, l, name), key);
  assert.equal(electionName('neon', t, l), `neon/${t}/${l}/safekeeper/wal_backup`);
});

test('upload backoff: 10 ms doubling to 5 s, none before a failure', () => {
  const expected = [0, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5000, 5000, 5000];
  assert.deepEqual(
    expected.map((_, failures) => uploadBackoffMs(failures)),
    expected,
  );
  assert.equal(uploadBackoffMs(1_000_000), 5000);
});

test('candidate values and lease TTLs', () => {
  assert.equal(candidateValue(12345), 'id_12345');
  assert.equal(nodeIdOfCandidate('id_12345'), 12345);
  assert.equal(nodeIdOfCandidate('someone else'), undefined);
  assert.deepEqual([1000, 1001, 1500, 2000, 5000, 100].map(leaseTtlSeconds), [1, 2, 2, 2, 5, 1]);
});

test('bucket probe: look before uploading until as many segments as jobs were missing', () => {
  const probe = new BucketProbe(2);
  const wanted: boolean[] = [];
  for (const present of [true, true, false, true, false, false]) {
    wanted.push(probe.wanted());
    if (probe.wanted() && !present) probe.missed();
  }
  assert.deepEqual(wanted, [true, true, true, true, true, false]);
});
