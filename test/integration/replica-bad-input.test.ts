// What a replica cannot make a safekeeper do: see WAL beyond commit_lsn (a safekeeper that
// flushed more than its quorum committed), stream an unknown timeline, start beyond the end of
// WAL or before the WAL held (each an ERROR before CopyBoth, the connection usable), break it with
// malformed feedback (ignored with a warning), or make it buffer without bound by never reading
// (the sender waits for the socket). A start inside a record is served from exactly there, as
// PostgreSQL does. After each, another replica streams fine.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { decodeErrorResponse } from '../../src/postgres/wire/error-response.js';
import {
  encodeCopyData,
  encodeQuery,
  encodeStartupMessage,
} from '../../src/postgres/wire/frontend-messages.js';
import { decodeAcceptorMessage, encodeProposerMessage } from '../../src/protocol/proposer-codec.js';
import type { ProposerMessage } from '../../src/protocol/proposer-messages.js';
import { pushGeneratedWal } from '../../src/walproposer/push-generated-wal.js';
import {
  assertServing,
  fuzzTarget,
  TENANT,
  TIMELINE,
  TIMELINE_PARAMETERS,
  timelineStatus,
} from '../helpers/fuzzed-safekeeper.js';
import type { RawConnection } from '../helpers/raw-wire-connection.js';
import {
  newReader,
  openReplicaConnection,
  prepareCommittedSafekeeper,
  type CommittedSafekeeper,
  readSegmentFiles,
  readWalUntil,
  READ_TIMEOUT_MS,
  startStreaming,
  takeStreamMessage,
} from '../helpers/replica-stream.js';
import { startTestSafekeeper, type RunningSafekeeper } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { makeTestWal, MIB, TEST_SYSTEM_ID, walSlice } from '../helpers/wal.js';
import { walBytes } from '../helpers/wal-push.js';

const TEST_OPTIONS = { timeout: 120_000 };
const PROPOSER = 'dd'.repeat(16);

const prepare = prepareCommittedSafekeeper;

const replicaParameters = { ...TIMELINE_PARAMETERS, application_name: 'test-replica' };

/** A fresh replica streams from local_start_lsn to commit_lsn; the daemon serves on. */
async function assertStreamsFine(t: TestContext, fixture: CommittedSafekeeper): Promise<void> {
  const status = await timelineStatus(fixture.sk);
  await assertServing(fixture.sk, fuzzTarget(status));
  const connection = await openReplicaConnection(t, fixture.sk.pgPort, replicaParameters);
  const startLsn = parseLsn(status.local_start_lsn);
  await startStreaming(connection, startLsn);
  const reader = newReader(startLsn, status.server.wal_seg_size);
  await readWalUntil(connection, reader, parseLsn(status.commit_lsn));
  connection.destroy();
}

/** The ERROR a query gets, then ReadyForQuery: the connection stays usable. */
async function queryError(
  connection: RawConnection,
  sql: string,
): Promise<{ sqlState: string; message: string }> {
  connection.write(encodeQuery(sql));
  const answer = await connection.readUntil('Z', READ_TIMEOUT_MS);
  assert.deepEqual(
    answer.map((message) => message.type),
    ['E', 'Z'],
  );
  const error = decodeErrorResponse((answer[0] as { body: Buffer }).body);
  assert.equal(error.severity, 'ERROR');
  return { sqlState: error.sqlState, message: error.message };
}

const SEGMENT_BYTES = 16 * MIB;
const TIMELINE_START = BigInt(SEGMENT_BYTES);

/** A walproposer by hand on a fresh timeline: elected, then it appends what it is told. */
async function openProposer(t: TestContext, sk: RunningSafekeeper) {
  const proposer = await openReplicaConnection(t, sk.pgPort, TIMELINE_PARAMETERS);
  proposer.write(encodeQuery('START_WAL_PUSH'));
  assert.equal((await proposer.readMessage(READ_TIMEOUT_MS)).type, 'W');
  const send = (message: ProposerMessage): void =>
    proposer.write(encodeCopyData(encodeProposerMessage(message)));
  send({
    tag: 'greeting',
    protocolVersion: 2,
    pgVersion: 150000,
    proposerId: PROPOSER,
    systemId: TEST_SYSTEM_ID,
    timelineId: TIMELINE,
    tenantId: TENANT,
    pgTimeline: 1,
    walSegSize: SEGMENT_BYTES,
  });
  send({ tag: 'vote', term: 1n });
  send({
    tag: 'elected',
    term: 1n,
    startStreamingAt: TIMELINE_START,
    termHistory: [{ term: 1n, lsn: TIMELINE_START }],
    timelineStartLsn: TIMELINE_START,
  });
  /** Appends `bytes` at `beginLsn` declaring `commitLsn`; resolves once they are flushed. */
  return async (beginLsn: Lsn, bytes: Buffer, commitLsn: Lsn): Promise<void> => {
    const endLsn = beginLsn + BigInt(bytes.length);
    const header = {
      term: 1n,
      epochStartLsn: TIMELINE_START,
      truncateLsn: 0n,
      proposerId: PROPOSER,
    };
    send({ tag: 'append', header: { ...header, beginLsn, endLsn, commitLsn }, walBytes: bytes });
    for (;;) {
      const frame = await proposer.readMessage(READ_TIMEOUT_MS);
      assert.equal(frame.type, 'd', frame.body.toString('latin1'));
      const reply = decodeAcceptorMessage(frame.body);
      if (reply.tag === 'append' && reply.flushLsn === endLsn) return;
    }
  };
}

test(
  'no WAL beyond commit_lsn reaches a replica of a safekeeper that flushed more',
  TEST_OPTIONS,
  async (t) => {
    const dataDir = await makeTempDir(t);
    const sk = await startTestSafekeeper(t, dataDir, ['--no-sync']);
    const append = await openProposer(t, sk);
    const wal = makeTestWal(
      TIMELINE_START,
      Array.from({ length: 24 }, () => 8192),
      SEGMENT_BYTES,
    );
    const committedLsn = (wal.records[5] as { endLsn: Lsn }).endLsn;
    const firstEnd = (wal.records[9] as { endLsn: Lsn }).endLsn;
    // Flushed here, committed by nobody yet.
    await append(TIMELINE_START, walSlice(wal, TIMELINE_START, firstEnd), 0n);
    const replica = await openReplicaConnection(t, sk.pgPort, replicaParameters);
    await startStreaming(replica, TIMELINE_START);
    const reader = newReader(TIMELINE_START, SEGMENT_BYTES);
    takeStreamMessage(reader, await replica.readMessage(READ_TIMEOUT_MS));
    assert.deepEqual(
      [reader.parts.length, reader.keepalives.length],
      [0, 1],
      'nothing committed: a keepalive',
    );
    // More WAL flushed; the quorum's commit (as the proposer says) covers only part of the first.
    await append(firstEnd, walSlice(wal, firstEnd, wal.endLsn), committedLsn);
    const status = await timelineStatus(sk);
    assert.deepEqual(
      [status.commit_lsn, status.flush_lsn],
      [formatLsn(committedLsn), formatLsn(wal.endLsn)],
    );
    await readWalUntil(replica, reader, committedLsn);
    const keepalivesBefore = reader.keepalives.length;
    while (reader.keepalives.length < keepalivesBefore + 2)
      takeStreamMessage(reader, await replica.readMessage(READ_TIMEOUT_MS));
    assert.equal(formatLsn(reader.nextLsn), formatLsn(committedLsn), 'nothing past commit_lsn');
    assert.equal(formatLsn(reader.keepalives.at(-1)?.walEndLsn ?? 0n), formatLsn(committedLsn));
    assert.ok(Buffer.concat(reader.parts).equals(walSlice(wal, TIMELINE_START, committedLsn)));
    // A replica started now, between commit_lsn and flush_lsn, gets keepalives only.
    const late = await openReplicaConnection(t, sk.pgPort, replicaParameters);
    await startStreaming(late, firstEnd);
    const lateReader = newReader(firstEnd, SEGMENT_BYTES);
    takeStreamMessage(lateReader, await late.readMessage(READ_TIMEOUT_MS));
    assert.deepEqual([lateReader.parts.length, lateReader.keepalives.length], [0, 1]);
  },
);

test(
  'unknown timeline, a start beyond the WAL or before it: a clear ERROR, the connection usable',
  TEST_OPTIONS,
  async (t) => {
    const fixture = await prepare(t);
    const { status } = fixture;
    const flushLsn = parseLsn(status.flush_lsn);
    const unknown = await openReplicaConnection(t, fixture.sk.pgPort, {
      ...replicaParameters,
      ztimelineid: '0000000000000000000000000000dead',
    });
    const absent = await queryError(
      unknown,
      `START_REPLICATION PHYSICAL ${status.local_start_lsn}`,
    );
    assert.equal(absent.sqlState, '42704');
    assert.match(
      absent.message,
      /timeline .*not found|no timeline|unknown timeline|does not exist/i,
    );
    const connection = await openReplicaConnection(t, fixture.sk.pgPort, replicaParameters);
    const beyond = await queryError(connection, `START_REPLICATION ${formatLsn(flushLsn + 1n)}`);
    assert.equal(beyond.sqlState, '08P01');
    assert.match(
      beyond.message,
      /requested starting point .* is ahead of the WAL flush position of this safekeeper/,
    );
    const before = await queryError(connection, 'START_REPLICATION 0/10');
    assert.equal(before.sqlState, '42704');
    assert.match(before.message, /is not on this safekeeper: it holds WAL from/);
    const malformed = await queryError(connection, 'START_REPLICATION SLOT');
    assert.equal(malformed.sqlState, '08P01');
    // The same connection then streams.
    await startStreaming(connection, flushLsn);
    assert.equal(status.flush_lsn, status.commit_lsn);
    await assertStreamsFine(t, fixture);
  },
);

test(
  'a start inside a record streams from exactly there, as PostgreSQL does',
  TEST_OPTIONS,
  async (t) => {
    const fixture = await prepare(t);
    const { status } = fixture;
    const inside = parseLsn(status.local_start_lsn) + 12_345n;
    const commitLsn = parseLsn(status.commit_lsn);
    const connection = await openReplicaConnection(t, fixture.sk.pgPort, replicaParameters);
    await startStreaming(connection, inside);
    const reader = newReader(inside, status.server.wal_seg_size);
    await readWalUntil(connection, reader, commitLsn);
    const expected = walBytes(
      await readSegmentFiles(fixture.dir),
      inside,
      commitLsn,
      status.server.wal_seg_size,
    );
    assert.ok(Buffer.concat(reader.parts).equals(expected));
  },
);

test(
  'malformed r, h and z messages are ignored with a warning; the stream goes on',
  TEST_OPTIONS,
  async (t) => {
    const fixture = await prepare(t);
    const { status } = fixture;
    const commitLsn = parseLsn(status.commit_lsn);
    const connection = await openReplicaConnection(t, fixture.sk.pgPort, replicaParameters);
    await startStreaming(connection, commitLsn);
    for (const payload of [
      Buffer.from('r-short'),
      Buffer.alloc(30, 'h'),
      Buffer.from('z\0\0\0\0\0\0\0\0\x05nokey'),
    ])
      connection.write(encodeCopyData(payload));
    const reader = newReader(commitLsn, status.server.wal_seg_size);
    takeStreamMessage(reader, await connection.readMessage(READ_TIMEOUT_MS));
    assert.equal(reader.keepalives.length, 1, 'the stream still sends');
    const warnings = fixture.sk
      .output()
      .split('\n')
      .filter((line) => line.includes('malformed replica feedback ignored'));
    assert.equal(warnings.length, 3, fixture.sk.output().slice(-3000));
    assert.match(warnings.join('\n'), /malformed standby status update/);
    assert.match(warnings.join('\n'), /malformed hot-standby feedback/);
    assert.match(warnings.join('\n'), /malformed pageserver feedback message/);
    assert.equal(
      (await timelineStatus(fixture.sk)).remote_consistent_lsn,
      status.remote_consistent_lsn,
    );
    await assertStreamsFine(t, fixture);
  },
);

test(
  'a replica that never reads: the sender waits for its socket, others stream on',
  TEST_OPTIONS,
  async (t) => {
    const dataDir = await makeTempDir(t);
    const sk = await startTestSafekeeper(t, dataDir, ['--no-sync']);
    const segmentSizeBytes = 16 * MIB;
    const options = {
      tenantId: TENANT,
      timelineId: TIMELINE,
      systemId: TEST_SYSTEM_ID,
      segmentSizeBytes,
      safekeepers: [{ id: 1, host: '127.0.0.1', port: sk.pgPort }],
    };
    const wal = { recordSizeBytes: 64 * 1024, totalBytes: 40 * MIB };
    await pushGeneratedWal(options, wal, Date.now() + 60_000);
    const status = await timelineStatus(sk);
    const startLsn = parseLsn(status.local_start_lsn);
    // A raw socket that sends its startup and START_REPLICATION, then never reads a byte.
    const stuck = connect({ host: '127.0.0.1', port: sk.pgPort });
    t.after(() => stuck.destroy());
    await new Promise<void>((resolve) => stuck.once('connect', resolve));
    stuck.pause();
    stuck.write(encodeStartupMessage(replicaParameters));
    stuck.write(encodeQuery(`START_REPLICATION ${formatLsn(startLsn)}`));
    const sentOfStuck = async (): Promise<Lsn> => {
      const replicas = (await timelineStatus(sk)).replicas;
      return parseLsn(
        replicas.find((replica) => replica.client_address?.endsWith(`:${stuck.localPort}`))
          ?.sent_lsn ?? '0/0',
      );
    };
    // It takes what the kernel buffers hold, then stops.
    let sent = 0n;
    for (let round = 0; round < 50; round++) {
      await sleep(100);
      const now = await sentOfStuck();
      if (now !== 0n && now === sent) break;
      sent = now;
    }
    await sleep(500);
    assert.equal(await sentOfStuck(), sent, 'the sender stopped');
    const commitLsn = parseLsn(status.commit_lsn);
    assert.ok(
      commitLsn - sent > 16n * BigInt(MIB),
      `it stopped well short of commit_lsn: sent ${formatLsn(sent)} of ${formatLsn(commitLsn)}`,
    );
    // Meanwhile another replica gets everything.
    const other = await openReplicaConnection(t, sk.pgPort, replicaParameters);
    await startStreaming(other, startLsn);
    await readWalUntil(other, newReader(startLsn, segmentSizeBytes), commitLsn);
    assert.equal(sk.child.exitCode, null);
  },
);
