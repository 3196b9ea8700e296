// A replica's side of START_REPLICATION for tests, over raw wire bytes: open a connection with
// the timeline's startup parameters, start streaming, read XLogData frames (checking that each is
// contiguous, at most 128 KiB, inside one segment and not past the wal_end it carries) or
// keepalives, and read the safekeeper's segment files for comparison.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { formatLsn, type Lsn } from '../../src/postgres/lsn.js';
import { segmentNumberOf } from '../../src/postgres/segment-name.js';
import { encodeQuery, encodeStartupMessage } from '../../src/postgres/wire/frontend-messages.js';
import {
  decodePrimaryKeepalive,
  decodeXLogData,
  type PrimaryKeepalive,
} from '../../src/postgres/wire/replication-messages.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';
import { pushCommittedWal, settledStatus, TENANT, TIMELINE } from './fuzzed-safekeeper.js';
import { RawConnection, type BackendMessage } from './raw-wire-connection.js';
import { startTestSafekeeper, type RunningSafekeeper } from './safekeeper.js';
import { makeTempDir } from './temp-dir.js';

export const READ_TIMEOUT_MS = 10_000;
export const MAX_XLOGDATA_BYTES = 128 * 1024;

/** A connection past its startup, destroyed when the test ends. */
export async function openReplicaConnection(
  t: TestContext,
  pgPort: number,
  parameters: Record<string, string>,
): Promise<RawConnection> {
  const connection = await RawConnection.open(pgPort);
  t.after(() => connection.destroy());
  connection.write(encodeStartupMessage(parameters));
  await connection.readUntil('Z', READ_TIMEOUT_MS);
  return connection;
}

/** Sends START_REPLICATION and reads the CopyBothResponse. */
export async function startStreaming(connection: RawConnection, startLsn: Lsn): Promise<void> {
  connection.write(encodeQuery(`START_REPLICATION PHYSICAL ${formatLsn(startLsn)}`));
  const answer = await connection.readMessage(READ_TIMEOUT_MS);
  assert.equal(answer.type, 'W', `CopyBothResponse, not ${answer.type}: ${answer.body.toString()}`);
}

export interface ReplicaReader {
  /** Where the next XLogData must start. */
  nextLsn: Lsn;
  readonly segmentSizeBytes: number;
  readonly parts: Buffer[];
  readonly keepalives: PrimaryKeepalive[];
}

/** Checks one CopyData of the stream and takes its WAL or keepalive. */
export function takeStreamMessage(reader: ReplicaReader, message: BackendMessage): void {
  assert.equal(message.type, 'd', `CopyData, not '${message.type}': ${message.body.toString()}`);
  if (message.body[0] === 'k'.charCodeAt(0)) {
    reader.keepalives.push(decodePrimaryKeepalive(message.body));
    return;
  }
  const data = decodeXLogData(message.body);
  assert.equal(formatLsn(data.walStartLsn), formatLsn(reader.nextLsn), 'contiguous XLogData');
  assert.ok(data.bytes.length > 0 && data.bytes.length <= MAX_XLOGDATA_BYTES, 'at most 128 KiB');
  const endLsn = reader.nextLsn + BigInt(data.bytes.length);
  assert.ok(endLsn <= data.walEndLsn, 'no WAL beyond the wal_end (commit_lsn) sent with it');
  const size = reader.segmentSizeBytes;
  assert.equal(
    segmentNumberOf(endLsn - 1n, size),
    segmentNumberOf(reader.nextLsn, size),
    'one segment per XLogData',
  );
  reader.parts.push(Buffer.from(data.bytes));
  reader.nextLsn = endLsn;
}

/** Reads the stream until its position reaches `untilLsn`. */
export async function readWalUntil(
  connection: RawConnection,
  reader: ReplicaReader,
  untilLsn: Lsn,
): Promise<void> {
  while (reader.nextLsn < untilLsn)
    takeStreamMessage(reader, await connection.readMessage(READ_TIMEOUT_MS));
}

export function newReader(startLsn: Lsn, segmentSizeBytes: number): ReplicaReader {
  return { nextLsn: startLsn, segmentSizeBytes, parts: [], keepalives: [] };
}

/** The timeline directory's segment files by name (without .partial). */
export async function readSegmentFiles(dir: string): Promise<Map<string, Buffer>> {
  const segments = new Map<string, Buffer>();
  for (const name of await readdir(dir))
    if (/^[0-9A-F]{24}(\.partial)?$/.test(name))
      segments.set(name.replace('.partial', ''), await readFile(join(dir, name)));
  return segments;
}

/** A safekeeper holding committed WAL of the fuzz timeline, with its settled status. */
export interface CommittedSafekeeper {
  readonly sk: RunningSafekeeper;
  readonly status: TimelineStatus;
  /** The timeline's directory (its segment files). */
  readonly dir: string;
}

/** Starts a safekeeper (no fsync, 100 ms saves), pushes committed WAL and waits for it to settle. */
export async function prepareCommittedSafekeeper(t: TestContext): Promise<CommittedSafekeeper> {
  const dataDir = await makeTempDir(t);
  const sk = await startTestSafekeeper(t, dataDir, [
    '--no-sync',
    '--control-file-save-interval',
    '100ms',
  ]);
  await pushCommittedWal(sk.pgPort);
  return { sk, status: await settledStatus(sk), dir: join(dataDir, TENANT, TIMELINE) };
}
