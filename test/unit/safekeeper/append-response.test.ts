// What an AppendResponse carries, as neon's acceptor fills it: the persisted commit_lsn (a
// commit announced without WAL is persisted to be answered), hot-standby feedback combined over
// the replicas (ts 0 and u64::MAX xmins when none sent any; the smallest valid xids otherwise)
// and the pageserver feedback of the replica with the most advanced ps_writelsn (zeros when none).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import type { Lsn } from '../../../src/postgres/lsn.js';
import type {
  AppendRequest,
  AppendResponse,
  PageserverFeedback,
} from '../../../src/protocol/proposer-messages.js';
import {
  CONTROL_FILE_NAME,
  readControlFile,
} from '../../../src/safekeeper/control-file/control-file-store.js';
import { Acceptor } from '../../../src/safekeeper/protocol/acceptor.js';
import { appendResponse } from '../../../src/safekeeper/protocol/append-response.js';
import {
  NO_HOT_STANDBY_FEEDBACK,
  ReplicaRegistry,
} from '../../../src/safekeeper/timeline/replica-registry.js';
import { TimelineRegistry } from '../../../src/safekeeper/timeline/timeline-registry.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeTestWal, MIB, TEST_SYSTEM_ID, walSlice } from '../../helpers/wal.js';

const TENANT = parseTenantId('a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7');
const TIMELINE = parseTimelineId('b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8');
const PROPOSER = 'c9'.repeat(16);
const START = BigInt(MIB);
const U64_MAX = 2n ** 64n - 1n;

function append(beginLsn: Lsn, bytes: Buffer, commitLsn: Lsn): AppendRequest {
  return {
    tag: 'append',
    header: {
      term: 1n,
      epochStartLsn: START,
      beginLsn,
      endLsn: beginLsn + BigInt(bytes.length),
      commitLsn,
      truncateLsn: 0n,
      proposerId: PROPOSER,
    },
    walBytes: bytes,
  };
}

test('AppendResponse carries the persisted commit_lsn; a commit announcement is persisted', async (t) => {
  const dataDir = await makeTempDir(t);
  const log = pino({ level: 'silent' });
  const registry = new TimelineRegistry({
    dataDir,
    noSync: true,
    controlFileSaveIntervalMs: 300_000,
    walBackupConfigured: false,
    log,
  });
  t.after(() => registry.closeAll());
  const acceptor = new Acceptor({
    nodeId: 1n,
    tenantId: TENANT,
    timelineId: TIMELINE,
    registry,
    log,
  });
  await acceptor.process([
    {
      tag: 'greeting',
      protocolVersion: 2,
      pgVersion: 150000,
      proposerId: PROPOSER,
      systemId: TEST_SYSTEM_ID,
      timelineId: TIMELINE,
      tenantId: TENANT,
      pgTimeline: 1,
      walSegSize: MIB,
    },
    { tag: 'vote', term: 1n },
    {
      tag: 'elected',
      term: 1n,
      startStreamingAt: START,
      termHistory: [{ term: 1n, lsn: START }],
      timelineStartLsn: START,
    },
  ]);
  const wal = makeTestWal(START, [8192, 8192, 8192], MIB);
  const [r0, r1, r2] = wal.records.map((record) => record.endLsn) as [Lsn, Lsn, Lsn];
  const timeline = registry.require(TENANT, TIMELINE);
  const reply = async (request: AppendRequest): Promise<AppendResponse> =>
    (await acceptor.process([request]))[0] as AppendResponse;
  // The first commit_lsn is persisted at once (rule 5a).
  const first = await reply(append(START, walSlice(wal, START, r1), r0));
  assert.equal(first.commitLsn, r0);
  // A later one stays in memory: the reply says what is durable.
  const second = await reply(append(r1, walSlice(wal, r1, r2), r1));
  assert.equal(timeline.inmemLsns.commitLsn, r1);
  assert.equal(second.commitLsn, r0, 'the persisted commit_lsn, not the in-memory one');
  assert.equal(second.flushLsn, r2);
  // The proposer announces its commit without WAL: persisted, then answered.
  const announced = await reply(append(r2, Buffer.alloc(0), r2));
  assert.equal(announced.commitLsn, r2);
  const onDisk = await readControlFile(join(dataDir, TENANT, TIMELINE, CONTROL_FILE_NAME));
  assert.equal(onDisk.state.commitLsn, r2);
  // No replica: the defaults.
  assert.deepEqual(announced.hotStandbyFeedback, NO_HOT_STANDBY_FEEDBACK);
  assert.deepEqual(
    [announced.pageserverFeedback.psWriteLsn, announced.pageserverFeedback.psApplyLsn],
    [0n, 0n],
  );
});

function pageserverFeedback(writeLsn: Lsn, applyLsn: Lsn): PageserverFeedback {
  return {
    currentTimelineSizeBytes: 10n,
    psWriteLsn: writeLsn,
    psFlushLsn: writeLsn,
    psApplyLsn: applyLsn,
    psReplyTimeMicros: 42n,
  };
}

test('hot-standby feedback: defaults without any, the smallest valid xids and the latest time', () => {
  const replicas = new ReplicaRegistry();
  const identity = { applicationName: null, clientAddress: null, startLsn: 0n };
  const quiet = replicas.add(identity);
  assert.ok(quiet);
  assert.deepEqual(appendResponse(1n, 0n, 0n, replicas).hotStandbyFeedback, {
    timestampMicros: 0n,
    xmin: U64_MAX,
    catalogXmin: U64_MAX,
  });
  replicas
    .add(identity)
    ?.recordHotStandbyFeedback({ timestampMicros: 5n, xmin: 900n, catalogXmin: 0n });
  replicas
    .add(identity)
    ?.recordHotStandbyFeedback({ timestampMicros: 9n, xmin: 1000n, catalogXmin: 800n });
  assert.deepEqual(appendResponse(1n, 0n, 0n, replicas).hotStandbyFeedback, {
    timestampMicros: 9n,
    xmin: 900n,
    catalogXmin: 800n,
  });
});

test('pageserver feedback: the replica with the most advanced ps_writelsn; zeros when none', () => {
  const replicas = new ReplicaRegistry();
  const identity = { applicationName: 'pageserver', clientAddress: null, startLsn: 0n };
  const none = appendResponse(1n, 0n, 0n, replicas).pageserverFeedback;
  assert.deepEqual(
    [none.currentTimelineSizeBytes, none.psWriteLsn, none.psFlushLsn, none.psApplyLsn],
    [0n, 0n, 0n, 0n],
  );
  replicas.add(identity);
  const behind = replicas.add(identity);
  const ahead = replicas.add(identity);
  behind?.recordPageserverFeedback(pageserverFeedback(0x500n, 0x400n));
  ahead?.recordPageserverFeedback(pageserverFeedback(0x900n, 0x100n));
  assert.deepEqual(
    appendResponse(1n, 0n, 0n, replicas).pageserverFeedback,
    pageserverFeedback(0x900n, 0x100n),
  );
  // Its latest feedback counts; when it goes, the other is the most advanced.
  ahead?.recordPageserverFeedback(pageserverFeedback(0x950n, 0x200n));
  assert.equal(appendResponse(1n, 0n, 0n, replicas).pageserverFeedback.psWriteLsn, 0x950n);
  ahead?.remove();
  assert.deepEqual(
    appendResponse(1n, 0n, 0n, replicas).pageserverFeedback,
    pageserverFeedback(0x500n, 0x400n),
  );
  assert.equal(replicas.size, 2);
});
