// START_REPLICATION for a replica (anyone but the walproposer's recovery) on a real safekeeper:
// committed WAL from the start LSN in XLogData frames that carry the files' bytes, never past
// commit_lsn nor across a segment, then keepalives asking for a reply while idle; WAL committed
// later arrives without any request; the replica shows in the timeline status while it streams;
// its 'z' feedback moves remote_consistent_lsn at once, never backwards, and reaches the
// walproposer in AppendResponses (a push reports it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { encodeCopyData } from '../../src/postgres/wire/frontend-messages.js';
import { postgresEpochMicrosNow } from '../../src/postgres/wire/replication-messages.js';
import { encodeNeonFeedbackMessage } from '../../src/protocol/neon-feedback-message.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';
import { pushGeneratedWal } from '../../src/walproposer/push-generated-wal.js';
import {
  pushCommittedWal,
  TENANT,
  TIMELINE,
  TIMELINE_PARAMETERS,
  timelineStatus,
} from '../helpers/fuzzed-safekeeper.js';
import {
  newReader,
  openReplicaConnection,
  prepareCommittedSafekeeper,
  readSegmentFiles,
  readWalUntil,
  READ_TIMEOUT_MS,
  startStreaming,
  takeStreamMessage,
} from '../helpers/replica-stream.js';
import type { RunningSafekeeper } from '../helpers/safekeeper.js';
import { walBytes } from '../helpers/wal-push.js';

const TEST_OPTIONS = { timeout: 90_000 };
const STATUS_TIMEOUT_MS = 5_000;

const prepare = prepareCommittedSafekeeper;

async function statusWhere(
  sk: RunningSafekeeper,
  isWanted: (status: TimelineStatus) => boolean,
): Promise<TimelineStatus> {
  const found = await pollUntil(
    async () => {
      const status = await timelineStatus(sk);
      return isWanted(status) ? status : undefined;
    },
    { timeoutMs: STATUS_TIMEOUT_MS, intervalMs: 20 },
  );
  assert.ok(found, `status never as wanted: ${JSON.stringify(await timelineStatus(sk))}`);
  return found;
}

function feedback(applyLsn: Lsn, writeLsn: Lsn): Buffer {
  return encodeCopyData(
    encodeNeonFeedbackMessage({
      currentTimelineSizeBytes: 12345n,
      psWriteLsn: writeLsn,
      psFlushLsn: writeLsn,
      psApplyLsn: applyLsn,
      psReplyTimeMicros: postgresEpochMicrosNow(),
    }),
  );
}

test(
  'a replica gets the committed WAL as the files hold it, keepalives when idle, and later commits',
  TEST_OPTIONS,
  async (t) => {
    const { sk, status, dir } = await prepare(t);
    const startLsn = parseLsn(status.local_start_lsn);
    const commitLsn = parseLsn(status.commit_lsn);
    const size = status.server.wal_seg_size;
    const connection = await openReplicaConnection(t, sk.pgPort, {
      ...TIMELINE_PARAMETERS,
      application_name: 'pageserver',
    });
    await startStreaming(connection, startLsn);
    const reader = newReader(startLsn, size);
    await readWalUntil(connection, reader, commitLsn);
    assert.equal(reader.nextLsn, commitLsn, 'exactly up to commit_lsn');
    const expected = walBytes(await readSegmentFiles(dir), startLsn, commitLsn, size);
    assert.ok(Buffer.concat(reader.parts).equals(expected), 'the bytes of the WAL files');
    // Idle: a keepalive that asks for a reply, at commit_lsn.
    takeStreamMessage(reader, await connection.readMessage(READ_TIMEOUT_MS));
    const [keepalive] = reader.keepalives;
    assert.ok(keepalive, 'a keepalive when idle');
    assert.equal(keepalive.replyRequested, true);
    assert.equal(formatLsn(keepalive.walEndLsn), formatLsn(commitLsn));
    const listed = await statusWhere(sk, (s) => s.replicas.length === 1);
    const [replica] = listed.replicas;
    assert.equal(replica?.application_name, 'pageserver');
    assert.equal(replica.start_lsn, formatLsn(startLsn));
    assert.equal(replica.sent_lsn, formatLsn(commitLsn));
    assert.match(replica.client_address ?? '', /^127\.0\.0\.1:\d+$/);
    // A later push: its commits reach the waiting stream.
    const pushedEnd = await pushCommittedWal(sk.pgPort);
    const later = await statusWhere(sk, (s) => parseLsn(s.commit_lsn) >= pushedEnd);
    await readWalUntil(connection, reader, parseLsn(later.commit_lsn));
    connection.destroy();
    await statusWhere(sk, (s) => s.replicas.length === 0);
  },
);

test(
  "a replica's pageserver feedback moves remote_consistent_lsn at once and never back",
  TEST_OPTIONS,
  async (t) => {
    const { sk, status } = await prepare(t);
    const startLsn = parseLsn(status.local_start_lsn);
    const commitLsn = parseLsn(status.commit_lsn);
    const connection = await openReplicaConnection(t, sk.pgPort, {
      ...TIMELINE_PARAMETERS,
      application_name: 'pageserver',
    });
    await startStreaming(connection, startLsn);
    const applied = startLsn + 1000n;
    connection.write(feedback(applied, commitLsn));
    const moved = await statusWhere(
      sk,
      (s) => s.remote_consistent_lsn === formatLsn(applied) && s.replicas.length === 1,
    );
    const shown = moved.replicas[0]?.pageserver_feedback;
    assert.deepEqual(
      [shown?.ps_applylsn, shown?.ps_writelsn, shown?.current_timeline_size],
      [formatLsn(applied), formatLsn(commitLsn), 12345],
    );
    assert.notEqual(moved.replicas[0]?.last_feedback_at, null);
    // A lower value later (another pageserver, a restart) does not move it back.
    connection.write(feedback(startLsn, commitLsn));
    connection.write(feedback(commitLsn, commitLsn));
    await statusWhere(sk, (s) => s.remote_consistent_lsn === formatLsn(commitLsn));
    connection.write(feedback(startLsn, commitLsn));
    const after = await statusWhere(
      sk,
      (s) => s.replicas[0]?.pageserver_feedback?.ps_applylsn === formatLsn(startLsn),
    );
    assert.equal(after.remote_consistent_lsn, formatLsn(commitLsn), 'never backwards');
    // The walproposer hears the pageserver's feedback in AppendResponses: a push reports it.
    connection.write(feedback(commitLsn, commitLsn));
    await statusWhere(
      sk,
      (s) => s.replicas[0]?.pageserver_feedback?.ps_applylsn === formatLsn(commitLsn),
    );
    const pushed = await pushGeneratedWal(
      {
        tenantId: TENANT,
        timelineId: TIMELINE,
        systemId: BigInt(status.server.system_id),
        segmentSizeBytes: status.server.wal_seg_size,
        safekeepers: [{ id: 1, host: '127.0.0.1', port: sk.pgPort }],
      },
      { recordSizeBytes: 8192, totalBytes: 256 * 1024 },
      Date.now() + 30_000,
    );
    assert.equal(formatLsn(pushed.remoteConsistentLsn), formatLsn(commitLsn));
  },
);
