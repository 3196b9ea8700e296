// START_REPLICATION on a real safekeeper holding 2 MiB of committed WAL, over raw wire bytes:
// the walproposer's recovery read sends exactly the WAL files' bytes from the start LSN to
// flush_lsn, then CopyDone, CommandComplete and ReadyForQuery (and the walproposer's own client
// reads the same); the client's standby status updates during the read are taken, its CopyDone
// ends the read early and cleanly, an unknown CopyData kind is FATAL and the daemon serves on.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { segmentNumberOf } from '../../src/postgres/segment-name.js';
import { decodeCommandComplete } from '../../src/postgres/wire/backend-messages.js';
import { decodeErrorResponse } from '../../src/postgres/wire/error-response.js';
import {
  encodeCopyData,
  encodeCopyDone,
  encodeQuery,
  encodeStartupMessage,
} from '../../src/postgres/wire/frontend-messages.js';
import {
  decodeXLogData,
  encodeStandbyStatusUpdate,
} from '../../src/postgres/wire/replication-messages.js';
import { RECOVERY_APPLICATION_NAME } from '../../src/protocol/proposer-messages.js';
import { fetchWal } from '../../src/walproposer/recovery-fetch.js';
import {
  assertServing,
  fuzzTarget,
  pushCommittedWal,
  settledStatus,
  TENANT,
  TIMELINE,
} from '../helpers/fuzzed-safekeeper.js';
import { RawConnection, type BackendMessage } from '../helpers/raw-wire-connection.js';
import { startTestSafekeeper, type RunningSafekeeper } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { walBytes } from '../helpers/wal-push.js';
import type { FuzzTarget } from '../helpers/wire-fuzz-frames.js';

const READ_TIMEOUT_MS = 10_000;
const MAX_XLOGDATA_BYTES = 128 * 1024;

interface Fixture {
  readonly sk: RunningSafekeeper;
  readonly target: FuzzTarget;
  readonly startLsn: Lsn;
  /** The WAL files' bytes from startLsn to flush_lsn. */
  readonly wal: Buffer;
}

async function prepareFixture(t: TestContext): Promise<Fixture> {
  const dataDir = await makeTempDir(t);
  // A short save interval lets the timeline settle (every LSN persisted) soon after the push.
  const sk = await startTestSafekeeper(t, dataDir, [
    '--no-sync',
    '--control-file-save-interval',
    '100ms',
  ]);
  await pushCommittedWal(sk.pgPort);
  const status = await settledStatus(sk);
  const target = fuzzTarget(status);
  const startLsn = parseLsn(status.local_start_lsn);
  const dir = join(dataDir, TENANT, TIMELINE);
  const segments = new Map<string, Buffer>();
  for (const name of await readdir(dir))
    if (/^[0-9A-F]{24}(\.partial)?$/.test(name))
      segments.set(name.replace('.partial', ''), await readFile(join(dir, name)));
  const wal = walBytes(segments, startLsn, target.flushLsn, target.segmentSizeBytes);
  return { sk, target, startLsn, wal };
}

/** A recovery connection past its startup. */
async function openRecoveryConnection(t: TestContext, fixture: Fixture): Promise<RawConnection> {
  const connection = await RawConnection.open(fixture.sk.pgPort);
  t.after(() => connection.destroy());
  const parameters = { ztenantid: TENANT, ztimelineid: TIMELINE };
  connection.write(
    encodeStartupMessage({ ...parameters, application_name: RECOVERY_APPLICATION_NAME }),
  );
  await connection.readUntil('Z', READ_TIMEOUT_MS);
  return connection;
}

/** The WAL carried by the XLogData messages, which must start at startLsn and be contiguous. */
function walOf(messages: readonly BackendMessage[], fixture: Fixture): Buffer {
  let nextLsn = fixture.startLsn;
  const parts: Buffer[] = [];
  for (const message of messages) {
    const data = decodeXLogData(message.body);
    assert.equal(formatLsn(data.walStartLsn), formatLsn(nextLsn), 'contiguous XLogData');
    assert.equal(data.walEndLsn, fixture.target.flushLsn, 'XLogData ends at flush_lsn');
    assert.ok(data.bytes.length > 0 && data.bytes.length <= MAX_XLOGDATA_BYTES);
    const lastLsn = nextLsn + BigInt(data.bytes.length - 1);
    const size = fixture.target.segmentSizeBytes;
    assert.equal(segmentNumberOf(lastLsn, size), segmentNumberOf(nextLsn, size), 'one segment');
    parts.push(data.bytes);
    nextLsn += BigInt(data.bytes.length);
  }
  return Buffer.concat(parts);
}

/** Reads the stream to its ReadyForQuery: W, XLogData..., c, C, Z; returns the WAL it carried. */
async function readRecoveryStream(connection: RawConnection, fixture: Fixture): Promise<Buffer> {
  const messages = await connection.readUntil('Z', READ_TIMEOUT_MS);
  assert.match(messages.map((message) => message.type).join(''), /^Wd*cCZ$/);
  assert.equal(
    decodeCommandComplete(messages.at(-2)?.body ?? Buffer.alloc(0)),
    'START_REPLICATION',
  );
  return walOf(messages.slice(1, -3), fixture);
}

/** IDENTIFY_SYSTEM on the same connection answers its row: the connection is usable. */
async function assertUsable(connection: RawConnection): Promise<void> {
  connection.write(encodeQuery('IDENTIFY_SYSTEM'));
  const answer = await connection.readUntil('Z', READ_TIMEOUT_MS);
  assert.equal(answer.map((message) => message.type).join(''), 'TDCZ');
}

async function recoveryRead(t: TestContext, fixture: Fixture): Promise<void> {
  const connection = await openRecoveryConnection(t, fixture);
  connection.write(encodeQuery(`START_REPLICATION PHYSICAL ${formatLsn(fixture.startLsn)}`));
  const wal = await readRecoveryStream(connection, fixture);
  assert.equal(wal.length, fixture.wal.length, 'everything up to flush_lsn');
  assert.ok(wal.equals(fixture.wal), 'the bytes of the WAL files');
  await assertUsable(connection);
  const endpoint = { id: 1, host: '127.0.0.1', port: fixture.sk.pgPort };
  const ids = { tenantId: TENANT, timelineId: TIMELINE };
  const fetched = await fetchWal(endpoint, ids, fixture.startLsn, fixture.target.flushLsn, 10_000);
  assert.ok(fetched.equals(fixture.wal), "the walproposer's recovery client reads the same");
}

async function statusUpdatesDuringRead(t: TestContext, fixture: Fixture): Promise<void> {
  const connection = await openRecoveryConnection(t, fixture);
  const status = { flushLsn: fixture.startLsn, applyLsn: fixture.startLsn, sendTimeMicros: 1n };
  const update = encodeStandbyStatusUpdate({
    ...status,
    writeLsn: fixture.startLsn,
    replyRequested: false,
  });
  // Sent with the command: the stream reads them while it sends (before, they were FATAL).
  connection.write(
    Buffer.concat([
      encodeQuery(`START_REPLICATION ${formatLsn(fixture.startLsn)}`),
      encodeCopyData(update),
      encodeCopyData(update),
    ]),
  );
  assert.ok((await readRecoveryStream(connection, fixture)).equals(fixture.wal));
  await assertUsable(connection);
}

async function clientCopyDoneEndsRead(t: TestContext, fixture: Fixture): Promise<void> {
  const connection = await openRecoveryConnection(t, fixture);
  const command = encodeQuery(`START_REPLICATION ${formatLsn(fixture.startLsn)}`);
  connection.write(Buffer.concat([command, encodeCopyDone()]));
  const wal = await readRecoveryStream(connection, fixture);
  // The CopyDone arrives with the command, so the stream stops before it has sent everything
  // (usually before the first chunk of the 2 MiB): an ignored CopyDone would send all of it.
  assert.ok(
    wal.length < fixture.wal.length,
    `stopped early: ${wal.length} of ${fixture.wal.length} bytes`,
  );
  assert.ok(fixture.wal.subarray(0, wal.length).equals(wal), 'what was sent is a prefix');
  await assertUsable(connection);
}

async function unknownKindIsFatal(t: TestContext, fixture: Fixture): Promise<void> {
  const connection = await openRecoveryConnection(t, fixture);
  const command = encodeQuery(`START_REPLICATION ${formatLsn(fixture.startLsn)}`);
  connection.write(Buffer.concat([command, encodeCopyData(Buffer.from('x marks the spot'))]));
  const messages = await connection.readUntil('E', READ_TIMEOUT_MS);
  assert.match(messages.map((message) => message.type).join(''), /^Wd*E$/);
  const error = decodeErrorResponse(messages.at(-1)?.body ?? Buffer.alloc(0));
  assert.deepEqual([error.severity, error.sqlState], ['FATAL', '08P01']);
  assert.match(error.message, /unsupported replication message: kind 'x'/);
  await connection.waitClosed(READ_TIMEOUT_MS);
  await assertServing(fixture.sk, fixture.target);
}

test(
  'START_REPLICATION: the recovery read as a two-way stream',
  { timeout: 120_000 },
  async (t) => {
    const fixture = await prepareFixture(t);
    await t.test('the recovery read sends the WAL files to flush_lsn, then c, C, Z', (t) =>
      recoveryRead(t, fixture),
    );
    await t.test('standby status updates during the read are taken', (t) =>
      statusUpdatesDuringRead(t, fixture),
    );
    await t.test("the client's CopyDone ends the read early and cleanly", (t) =>
      clientCopyDoneEndsRead(t, fixture),
    );
    await t.test('an unknown CopyData kind is FATAL 08P01; the daemon serves on', (t) =>
      unknownKindIsFatal(t, fixture),
    );
    await t.test('no error in the daemon log', () => {
      assert.doesNotMatch(fixture.sk.output(), /"level":"(error|fatal)"/);
    });
  },
);
