// The "operation in progress" fuse: counting, the assertion naming what is in flight, and the
// two places it guards, WAL storage and a timeline closed while one of their writes runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { AssertionError } from '../../../src/common/assert.js';
import { parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import { OperationFuse } from '../../../src/daemon-shell/operation-fuse.js';
import { TimelineRegistry } from '../../../src/safekeeper/timeline/timeline-registry.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeTestWal, MIB, TEST_SYSTEM_ID } from '../../helpers/wal.js';

const TENANT = parseTenantId('f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0');
const TIMELINE = parseTimelineId('0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f');
const START = BigInt(MIB);

test('the fuse counts operations and names the ones in flight', async () => {
  const fuse = new OperationFuse('thing');
  fuse.assertIdle('close');
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  const running = fuse.run('write', () => blocked);
  fuse.enter('write');
  assert.throws(
    () => fuse.assertIdle('close'),
    (error: unknown) =>
      error instanceof AssertionError &&
      /close of thing while write x2 in progress/.test(error.message),
  );
  fuse.leave('write');
  release();
  await running;
  fuse.assertIdle('close');
  assert.throws(() => fuse.leave('flush'), AssertionError, 'leaving what never entered is a bug');
});

test('closing a timeline while one of its WAL writes is in flight fails the fuse', async (t) => {
  const dataDir = await makeTempDir(t);
  const registry = new TimelineRegistry({
    dataDir,
    noSync: true,
    controlFileSaveIntervalMs: 300_000,
    log: pino({ level: 'silent' }),
  });
  const timeline = await registry.create(
    TENANT,
    TIMELINE,
    { pgVersion: 150000, systemId: TEST_SYSTEM_ID, walSegSize: MIB },
    [],
  );
  const wal = makeTestWal(START, [64 * 1024, 64 * 1024], MIB);
  const storage = timeline.walStorage;
  assert.ok(storage);
  // A write that bypasses the timeline lock (the bug the fuse exists to catch) is in flight.
  const writing = storage.write(START, wal.bytes);
  await assert.rejects(
    timeline.close(),
    (error: unknown) =>
      error instanceof AssertionError &&
      /close of WAL storage of .* while write in progress/.test(error.message),
  );
  await writing;
  // Once the write settled, the close goes through.
  await storage.close();
});

test('a timeline closes cleanly after its locked writes complete', async (t) => {
  const dataDir = await makeTempDir(t);
  const registry = new TimelineRegistry({
    dataDir,
    noSync: true,
    controlFileSaveIntervalMs: 300_000,
    log: pino({ level: 'silent' }),
  });
  const timeline = await registry.create(
    TENANT,
    TIMELINE,
    { pgVersion: 150000, systemId: TEST_SYSTEM_ID, walSegSize: MIB },
    [],
  );
  const wal = makeTestWal(START, [64 * 1024], MIB);
  // The close queues behind the append on the lock: no assertion.
  const appending = timeline.appendWal([{ startLsn: START, bytes: wal.bytes }]);
  await timeline.close();
  assert.equal(await appending, wal.endLsn);
});
