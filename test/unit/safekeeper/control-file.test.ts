import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import { crc32c } from '../../../src/postgres/crc32c.js';
import {
  CONTROL_FILE_VERSION,
  decodeControlFile,
  encodeControlFile,
} from '../../../src/safekeeper/control-file/control-file-codec.js';
import { formatControlFileDump } from '../../../src/safekeeper/control-file/control-file-dump.js';
import {
  CONTROL_FILE_NAME,
  ControlFileStore,
  readControlFile,
  writeControlFileAtomically,
} from '../../../src/safekeeper/control-file/control-file-store.js';
import { sleepMs } from '../../../src/common/deadline.js';
import {
  initialSafekeeperState,
  type SafekeeperState,
} from '../../../src/safekeeper/control-file/safekeeper-state.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const TENANT = parseTenantId('de200bd42b49cc1814412c7e592dd6e9');
const TIMELINE = parseTimelineId('0123456789abcdef0123456789abcdef');

const busyState: SafekeeperState = {
  ...initialSafekeeperState(TENANT, TIMELINE),
  acceptorState: {
    term: 7n,
    termHistory: [
      { term: 2n, lsn: 0x1000000n },
      { term: 5n, lsn: 0x16b9188n },
      { term: 7n, lsn: 0xffff_ffff_feff_ffffn },
    ],
  },
  server: { pgVersion: 150004, systemId: 0xfedc_ba98_7654_3210n, walSegSize: 16 * 1024 * 1024 },
  proposerUuid: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  timelineStartLsn: 0x1000000n,
  localStartLsn: 0x1000000n,
  commitLsn: 0x3abcdefn,
  backupLsn: 0x2000000n,
  peerHorizonLsn: 0x3000000n,
  remoteConsistentLsn: 0x2800000n,
  peers: [
    { nodeId: 2n, backupLsn: 1n, term: 3n, flushLsn: 4n, commitLsn: 5n },
    { nodeId: 12n, backupLsn: 6n, term: 7n, flushLsn: 8n, commitLsn: 9n },
  ],
};

function isIntegrityError(pattern: RegExp) {
  return (error: unknown): boolean =>
    error instanceof AppError &&
    error.code === 'integrity' &&
    error.exitCode === 8 &&
    pattern.test(error.message);
}

test('control file round-trips every persisted field', () => {
  for (const state of [initialSafekeeperState(TENANT, TIMELINE), busyState]) {
    const decoded = decodeControlFile(encodeControlFile(state));
    assert.equal(decoded.version, CONTROL_FILE_VERSION);
    assert.deepEqual(decoded.state, state);
  }
});

test('a fresh state is 220 bytes and each term-history entry adds 16', () => {
  const fresh = initialSafekeeperState(TENANT, TIMELINE);
  assert.equal(encodeControlFile(fresh).length, 220);
  const withHistory = {
    ...fresh,
    acceptorState: { term: 2n, termHistory: [{ term: 2n, lsn: 8n }] },
  };
  assert.equal(encodeControlFile(withHistory).length, 236);
  const bytes = encodeControlFile(fresh);
  assert.equal(bytes.readUInt32LE(0), 0xcafeceef);
  assert.equal(bytes.readUInt32LE(4), 5);
  assert.equal(bytes.readUInt32LE(216), crc32c(bytes.subarray(0, 216)));
});

test('a flipped bit anywhere in the control file is refused with the integrity error', () => {
  const bytes = encodeControlFile(busyState);
  for (let offset = 0; offset < bytes.length; offset++) {
    for (const bit of [0x01, 0x80]) {
      const corrupt = Buffer.from(bytes);
      corrupt[offset] = (corrupt[offset] ?? 0) ^ bit;
      assert.throws(
        () => decodeControlFile(corrupt),
        isIntegrityError(/checksum mismatch/),
        `byte ${offset} bit ${bit}`,
      );
    }
  }
});

test('a truncated or extended control file is refused with the integrity error', () => {
  const bytes = encodeControlFile(busyState);
  for (let length = 0; length < bytes.length; length++)
    assert.throws(
      () => decodeControlFile(bytes.subarray(0, length)),
      isIntegrityError(/truncated|checksum mismatch/),
      `length ${length}`,
    );
  assert.throws(
    () => decodeControlFile(Buffer.concat([bytes, Buffer.alloc(1)])),
    isIntegrityError(/checksum mismatch/),
  );
});

/** Re-seals a modified file with a valid CRC, to reach the checks behind the checksum. */
function reseal(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32LE(crc32c(copy.subarray(0, copy.length - 4)), copy.length - 4);
  return copy;
}

test('magic, version and body structure are checked behind a valid checksum', () => {
  const bytes = encodeControlFile(busyState);
  const badMagic = Buffer.from(bytes);
  badMagic.writeUInt32LE(0xcafecee0, 0);
  assert.throws(
    () => decodeControlFile(reseal(badMagic)),
    isIntegrityError(/bad control file magic/),
  );
  const badVersion = Buffer.from(bytes);
  badVersion.writeUInt32LE(9, 4);
  assert.throws(
    () => decodeControlFile(reseal(badVersion)),
    isIntegrityError(/unsupported safekeeper control file version 9/),
  );
  const hugeCount = Buffer.from(bytes);
  hugeCount.writeBigUInt64LE(1n << 40n, 8 + 80 + 8);
  assert.throws(() => decodeControlFile(reseal(hugeCount)), isIntegrityError(/count .* exceeds/));
  const badId = Buffer.from(bytes);
  badId.write('G', 8 + 8, 'latin1');
  assert.throws(() => decodeControlFile(reseal(badId)), isIntegrityError(/tenant_id .* malformed/));
});

/**
 * A version 4 file (neon 2022-04), written byte by byte from the documented layout
 * (neon-reference.md §1.3): the version 5 body without timeline_start_lsn and local_start_lsn,
 * with s3_wal_lsn where backup_lsn is, and peers as (node id, s3_wal_lsn, term, flush_lsn,
 * commit_lsn). Every value is distinct, so a field read in the wrong place shows. The CRC was
 * computed outside this project with a bitwise CRC-32C (reflected polynomial 0x82F63B78,
 * checked against the standard check value 0xE3069283 of "123456789").
 */
const VERSION_4_GOLDEN = Buffer.from(
  [
    'efcefeca', // magic 0xCAFECEEF, u32 LE
    '04000000', // format version 4, u32 LE
    '2000000000000000', // tenant_id: u64 LE length 32, then its ASCII text
    '6465323030626434326234396363313831343431326337653539326464366539', //   "de200bd42b49cc1814412c7e592dd6e9"
    '2000000000000000', // timeline_id: length 32
    '3031323334353637383961626364656630313233343536373839616263646566', //   "0123456789abcdef0123456789abcdef"
    '0700000000000000', // acceptor_state.term = 7
    '0200000000000000', // term_history: 2 entries
    '0200000000000000', //   term 2
    '0000000100000000', //   lsn 0/1000000
    '0700000000000000', //   term 7
    '88916b0100000000', //   lsn 0/16B9188
    'f4490200', // server.pg_version = 150004 (0x000249F4), u32
    '1032547698badcfe', // server.system_id = 0xFEDCBA9876543210
    '00000001', // server.wal_seg_size = 16 MiB (0x01000000), u32
    '2000000000000000', // proposer_uuid: length 32
    '6131623263336434653566363037313832393361346235633664376538663930', //   "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    'efcdab0300000000', // commit_lsn = 0/3ABCDEF
    '0000500200000000', // s3_wal_lsn = 0/2500000 (the later backup_lsn)
    '0000000300000000', // peer_horizon_lsn = 0/3000000
    '0000800200000000', // remote_consistent_lsn = 0/2800000
    '0100000000000000', // peers: 1 entry
    '0200000000000000', //   node id 2
    '0100000000000000', //   s3_wal_lsn 0/1
    '0300000000000000', //   term 3
    '0400000000000000', //   flush_lsn 0/4
    '0500000000000000', //   commit_lsn 0/5
    'fbf0fc19', // CRC-32C of the 272 bytes above = 0x19FCF0FB, u32 LE (see above)
  ].join(''),
  'hex',
);

/** What the version 4 golden decodes to once upgraded to the version 5 state. */
const VERSION_4_UPGRADED: SafekeeperState = {
  tenantId: TENANT,
  timelineId: TIMELINE,
  acceptorState: {
    term: 7n,
    termHistory: [
      { term: 2n, lsn: 0x1000000n },
      { term: 7n, lsn: 0x16b9188n },
    ],
  },
  server: { pgVersion: 150004, systemId: 0xfedc_ba98_7654_3210n, walSegSize: 16 * 1024 * 1024 },
  proposerUuid: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  // Upgrade rules: the start LSNs did not exist and begin at 0.
  timelineStartLsn: 0n,
  localStartLsn: 0n,
  commitLsn: 0x3abcdefn,
  // s3_wal_lsn (0/2500000) is not taken over: backup_lsn starts again at 0.
  backupLsn: 0n,
  peerHorizonLsn: 0x3000000n,
  // remote_consistent_lsn (0/2800000) is reset to 0, as neon's upgrade from 4 does.
  remoteConsistentLsn: 0n,
  // The one peer on file is dropped.
  peers: [],
};

test('a version 4 control file (hand-built golden) decodes field by field', () => {
  assert.equal(VERSION_4_GOLDEN.length, 276);
  const decoded = decodeControlFile(VERSION_4_GOLDEN);
  assert.equal(decoded.version, 4);
  assert.deepEqual(decoded.state, VERSION_4_UPGRADED);
});

test('a version 4 control file is upgraded on load and rewritten as version 5', async (t) => {
  const dir = await makeTempDir(t);
  await writeFile(join(dir, CONTROL_FILE_NAME), VERSION_4_GOLDEN);
  const { store, upgradedFromVersion } = await ControlFileStore.load(dir, { noSync: false });
  assert.equal(upgradedFromVersion, 4);
  assert.deepEqual(store.state, VERSION_4_UPGRADED);
  const onDisk = await readFile(join(dir, CONTROL_FILE_NAME));
  assert.equal(onDisk.readUInt32LE(4), CONTROL_FILE_VERSION);
  // Version 5 of the same state: 220 bytes fresh + 2 history entries, no peers.
  assert.equal(onDisk.length, 220 + 2 * 16);
  assert.deepEqual(decodeControlFile(onDisk), { state: VERSION_4_UPGRADED, version: 5 });
  assert.deepEqual(await readdir(dir), [CONTROL_FILE_NAME]);
  // Loading again finds the current version: nothing left to upgrade.
  const again = await ControlFileStore.load(dir, { noSync: false });
  assert.equal(again.upgradedFromVersion, undefined);
  assert.deepEqual(again.store.state, VERSION_4_UPGRADED);
});

test('persist replaces the file atomically and leaves no temp file', async (t) => {
  const dir = await makeTempDir(t);
  await writeControlFileAtomically(dir, initialSafekeeperState(TENANT, TIMELINE), {
    noSync: false,
  });
  const { store } = await ControlFileStore.load(dir, { noSync: false });
  // Node's timers may fire a fraction of a millisecond early against performance.now().
  await sleepMs(60);
  const before = store.msSinceLastPersist();
  assert.ok(before >= 50);
  await store.persist(busyState);
  assert.ok(store.msSinceLastPersist() < before, 'a persist restarts the save-interval clock');
  assert.deepEqual(await readdir(dir), [CONTROL_FILE_NAME]);
  assert.deepEqual((await readControlFile(join(dir, CONTROL_FILE_NAME))).state, busyState);
  assert.deepEqual(store.state, busyState);
  await assert.rejects(
    store.persist({ ...busyState, server: { ...busyState.server, walSegSize: 12345 } }),
    /invalid wal_seg_size/,
  );
  assert.deepEqual((await readControlFile(join(dir, CONTROL_FILE_NAME))).state, busyState);
});

test('the dump prints ids as hex and u64 values exactly', () => {
  const dump = formatControlFileDump(busyState);
  assert.match(dump, /"term_history":\[\{"term":2,"lsn":16777216\}/);
  assert.match(dump, /"lsn":18446744073692774399\}/);
  assert.match(dump, /"peers":\[\[2,\{"backup_lsn":1,"term":3,"flush_lsn":4,"commit_lsn":5\}\]/);
  assert.match(dump, /"system_id":18364758544493064720/);
  const parsed = JSON.parse(dump) as Record<string, unknown>;
  assert.equal(parsed.tenant_id, TENANT);
  assert.equal(parsed.commit_lsn, 0x3abcdef);
});
