// The "operation in progress" fuse: counting, the assertion naming what is in flight, and the
// two places it guards, WAL storage and a timeline closed while one of their writes runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssertionError } from '../../../src/common/assert.js';
import { parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import { OperationFuse } from '../../../src/daemon-shell/operation-fuse.js';
import { createTestTimeline } from '../../helpers/test-registry.js';
import { makeTestWal, MIB } from '../../helpers/wal.js';

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
  const { timeline } = await createTestTimeline(t, TENANT, TIMELINE);
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
  const { timeline } = await createTestTimeline(t, TENANT, TIMELINE);
  const wal = makeTestWal(START, [64 * 1024], MIB);
  // The close queues behind the append on the lock: no assertion.
  const appending = timeline.appendWal([{ startLsn: START, bytes: wal.bytes }]);
  await timeline.close();
  assert.equal(await appending, wal.endLsn);
});
