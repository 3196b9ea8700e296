// Change events during a real push: a walproposer streams genuine WAL over the wire to a WAL
// service in this process, and a subscriber of the timeline sees commit_lsn advance step by
// step as the appends are acknowledged, without polling anything.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseTenantId, parseTimelineId } from '../../src/common/hex-id.js';
import { closeServer, listen } from '../../src/daemon-shell/listen.js';
import { createWalService } from '../../src/safekeeper/pg-wire/wal-service-listener.js';
import { pushGeneratedWal } from '../../src/walproposer/push-generated-wal.js';
import { createTestTimeline } from '../helpers/test-registry.js';
import { MIB, TEST_SYSTEM_ID } from '../helpers/wal.js';

const TENANT = parseTenantId('e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1');
const TIMELINE = parseTimelineId('1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e');
const PUSH_BYTES = 4 * MIB;
const PUSH_TIMEOUT_MS = 30_000;
const PUSH_RATE_BYTES_PER_SECOND = 8 * MIB;

test('a subscriber sees commit_lsn advance during a push', { timeout: 60_000 }, async (t) => {
  const log = pino({ level: 'silent' });
  const { registry, timeline } = await createTestTimeline(t, TENANT, TIMELINE);
  const walService = createWalService({ nodeId: 1, registry, log });
  await listen(walService.server, { host: '127.0.0.1', port: 0 }, 'WAL service');
  t.after(async () => {
    walService.closeConnections();
    await closeServer(walService.server);
  });
  const commits: bigint[] = [];
  const flushes: bigint[] = [];
  timeline.events.subscribe((change) => {
    if (change.advanced.includes('commitLsn')) commits.push(change.lsns.commitLsn);
    if (change.advanced.includes('flushLsn')) flushes.push(change.lsns.flushLsn);
  });
  const { port } = walService.server.address() as AddressInfo;
  const pushing = pushGeneratedWal(
    {
      tenantId: TENANT,
      timelineId: TIMELINE,
      systemId: TEST_SYSTEM_ID,
      segmentSizeBytes: MIB,
      safekeepers: [{ id: 1, host: '127.0.0.1', port }],
    },
    // Paced, so that acknowledgements (and the commit_lsn they carry) come back during the push.
    {
      recordSizeBytes: 8192,
      totalBytes: PUSH_BYTES,
      rateBytesPerSecond: PUSH_RATE_BYTES_PER_SECOND,
    },
    Date.now() + PUSH_TIMEOUT_MS,
  );
  // Resolved by the first event that carries a commit, not by a poll, while the push still runs.
  let pushDone = false;
  const firstCommitDuringPush = timeline.events.waitFor('commitLsn', 1n).then(() => !pushDone);
  const pushed = await pushing;
  pushDone = true;
  assert.equal(await firstCommitDuringPush, true, 'the waiter woke before the push ended');
  await timeline.events.waitFor('commitLsn', pushed.commitLsn);
  assert.ok(commits.length >= 4, `commit_lsn advanced in steps (${commits.length} events)`);
  for (let index = 1; index < commits.length; index++)
    assert.ok(commits[index]! > commits[index - 1]!, 'each event is an advance');
  assert.equal(commits.at(-1), timeline.inmemLsns.commitLsn);
  assert.equal(commits.at(-1), pushed.commitLsn);
  assert.ok(flushes.length >= commits.length, 'flush_lsn events too');
  assert.ok(flushes.at(-1)! >= commits.at(-1)!, 'commit never ahead of flush');
});
