// PostgreSQL 15's own pg_receivewal as a replica of a safekeeper, started as a user would: a
// connection string with the tenant and timeline in `options`. Plain, on an empty directory it
// starts at the segment of the safekeeper's position; with --slot it asks READ_REPLICATION_SLOT
// and gets every segment the safekeeper holds. Its files are byte-identical to the safekeeper's
// segments up to commit_lsn, and pg_waldump reads the records in them.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import {
  segmentFileName,
  segmentNumberOf,
  segmentStartLsn,
} from '../../src/postgres/segment-name.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';
import { pushGeneratedWal } from '../../src/walproposer/push-generated-wal.js';
import { settledStatus, TENANT, TIMELINE, timelineStatus } from '../helpers/fuzzed-safekeeper.js';
import { pgWaldumpRange } from '../helpers/pg-waldump.js';
import { handOverDir, spawnPgTool } from '../helpers/postgres.js';
import { readSegmentFiles } from '../helpers/replica-stream.js';
import { startTestSafekeeper, type RunningSafekeeper } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { MIB, TEST_SYSTEM_ID } from '../helpers/wal.js';

const TEST_OPTIONS = { timeout: 120_000 };
/** Small segments: a few MiB of WAL span several of them. */
const SEGMENT_BYTES = 1 * MIB;
const PUSH_BYTES = 3.5 * MIB;
const RECEIVE_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;

interface Fixture {
  readonly sk: RunningSafekeeper;
  readonly status: TimelineStatus;
  readonly timelineDir: string;
}

async function prepare(t: TestContext): Promise<Fixture> {
  const dataDir = await makeTempDir(t);
  const sk = await startTestSafekeeper(t, dataDir, [
    '--no-sync',
    '--control-file-save-interval',
    '100ms',
  ]);
  await pushGeneratedWal(
    {
      tenantId: TENANT,
      timelineId: TIMELINE,
      systemId: TEST_SYSTEM_ID,
      segmentSizeBytes: SEGMENT_BYTES,
      safekeepers: [{ id: 1, host: '127.0.0.1', port: sk.pgPort }],
    },
    { recordSizeBytes: 8192, totalBytes: PUSH_BYTES },
    Date.now() + 30_000,
  );
  const status = await settledStatus(sk);
  return { sk, status, timelineDir: join(dataDir, TENANT, TIMELINE) };
}

interface Receiver {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly dir: string;
}

async function startReceiver(
  t: TestContext,
  sk: RunningSafekeeper,
  extra: readonly string[],
): Promise<Receiver> {
  const scratch = await makeTempDir(t);
  const dir = join(scratch, 'archive');
  await mkdir(dir);
  await handOverDir(scratch);
  await handOverDir(dir);
  const connection = `host=127.0.0.1 port=${sk.pgPort} options='-c ztenantid=${TENANT} ztimelineid=${TIMELINE}'`;
  const child = spawnPgTool(
    'pg_receivewal',
    ['-D', dir, '-d', connection, '--no-loop', '--no-sync', '--verbose', ...extra],
    scratch,
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.after(() => child.kill('SIGKILL'));
  return { child, output: () => output, dir };
}

/** The segment names pg_receivewal wrote (without .partial), sorted. */
async function receivedSegments(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((name) => /^[0-9A-F]{24}(\.partial)?$/.test(name))
    .map((name) => name.replace('.partial', ''))
    .sort();
}

/**
 * Undefined when every segment in `expected` is in pg_receivewal's directory and holds the
 * safekeeper's bytes up to commit_lsn; otherwise what differs.
 */
async function differenceUpToCommit(
  receiver: Receiver,
  fixture: Fixture,
  expected: readonly string[],
): Promise<string | undefined> {
  const received = await receivedSegments(receiver.dir);
  if (received.join() !== expected.join()) return `segments ${received.join()}`;
  const commitLsn = parseLsn(fixture.status.commit_lsn);
  const ours = await readSegmentFiles(fixture.timelineDir);
  const theirs = await readSegmentFiles(receiver.dir);
  for (const name of expected) {
    const start = segmentStartLsn(BigInt(`0x${name.slice(16)}`), SEGMENT_BYTES);
    const lengthBytes = Math.min(SEGMENT_BYTES, Number(commitLsn - start));
    const mine = ours.get(name)?.subarray(0, lengthBytes);
    const got = theirs.get(name)?.subarray(0, lengthBytes);
    if (mine === undefined || got === undefined || !mine.equals(got))
      return `segment ${name} differs`;
  }
  return undefined;
}

async function assertReceived(
  receiver: Receiver,
  fixture: Fixture,
  expected: readonly string[],
): Promise<void> {
  const same = await pollUntil(
    async () =>
      (await differenceUpToCommit(receiver, fixture, expected)) === undefined ? true : undefined,
    { timeoutMs: RECEIVE_TIMEOUT_MS, intervalMs: 50 },
  );
  const difference = await differenceUpToCommit(receiver, fixture, expected);
  assert.ok(same, `${difference ?? ''}\n${receiver.output()}`);
}

/** SIGINT to pg_receivewal itself (runuser would kill it): it finishes cleanly; the safekeeper forgets the replica. */
async function stopReceiver(receiver: Receiver, sk: RunningSafekeeper): Promise<void> {
  const exited = new Promise<number | null>((resolve) => receiver.child.once('exit', resolve));
  process.kill(await toolPid(receiver.child), 'SIGINT');
  const code = await Promise.race([
    exited,
    new Promise((resolve) => setTimeout(() => resolve('timeout'), EXIT_TIMEOUT_MS)),
  ]);
  assert.equal(code, 0, receiver.output());
  const gone = await pollUntil(
    async () => ((await timelineStatus(sk)).replicas.length === 0 ? true : undefined),
    { timeoutMs: EXIT_TIMEOUT_MS, intervalMs: 20 },
  );
  assert.ok(gone, 'the replica is removed when its connection ends');
}

/** The pid of the tool: the child itself, or the one child of runuser when run as root. */
async function toolPid(child: ChildProcess): Promise<number> {
  const pid = child.pid ?? assert.fail('pg_receivewal has no pid');
  if (process.getuid?.() !== 0) return pid;
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  const [toolPidText] = children.trim().split(/\s+/);
  return Number.parseInt(toolPidText ?? '', 10);
}

/** Every segment from the first held to the one of commit_lsn. */
function segmentsBetween(fromLsn: Lsn, toLsn: Lsn): string[] {
  const names: string[] = [];
  for (
    let segno = segmentNumberOf(fromLsn, SEGMENT_BYTES);
    segno <= segmentNumberOf(toLsn, SEGMENT_BYTES);
    segno++
  )
    names.push(segmentFileName(segno, SEGMENT_BYTES));
  return names;
}

test(
  'pg_receivewal streams the segment of the current position, byte-identical up to commit_lsn; pg_waldump reads it',
  TEST_OPTIONS,
  async (t) => {
    const fixture = await prepare(t);
    const { sk, status } = fixture;
    const commitLsn = parseLsn(status.commit_lsn);
    const receiver = await startReceiver(t, sk, []);
    const expected = segmentsBetween(commitLsn, commitLsn);
    await assertReceived(receiver, fixture, expected);
    const replica = (await timelineStatus(sk)).replicas[0];
    assert.equal(replica?.application_name, 'pg_receivewal');
    assert.equal(
      replica.start_lsn,
      formatLsn(segmentStartLsn(segmentNumberOf(commitLsn, SEGMENT_BYTES), SEGMENT_BYTES)),
    );
    await stopReceiver(receiver, sk);
    const listing = await pgWaldumpRange(
      receiver.dir,
      parseLsn(replica.start_lsn),
      commitLsn,
      await makeTempDir(t),
    );
    assert.match(listing, /rmgr: /, 'pg_waldump lists records');
  },
);

test(
  'pg_receivewal --slot on an empty directory gets every segment held',
  TEST_OPTIONS,
  async (t) => {
    const fixture = await prepare(t);
    const { sk, status } = fixture;
    const startLsn = parseLsn(status.local_start_lsn);
    const commitLsn = parseLsn(status.commit_lsn);
    const receiver = await startReceiver(t, sk, ['--slot', 'archive']);
    const expected = segmentsBetween(startLsn, commitLsn);
    assert.ok(expected.length >= 4, 'the push spans several segments');
    await assertReceived(receiver, fixture, expected);
    await stopReceiver(receiver, sk);
    const listing = await pgWaldumpRange(receiver.dir, startLsn, commitLsn, await makeTempDir(t));
    const lsns = [...listing.matchAll(/lsn: ([0-9A-F]+\/[0-9A-F]+)/g)].map((match) =>
      parseLsn(match[1] ?? ''),
    );
    assert.ok(lsns.length > 100, 'pg_waldump lists the records of every segment');
    assert.ok(
      (lsns.at(-1) ?? 0n) >=
        segmentStartLsn(segmentNumberOf(commitLsn, SEGMENT_BYTES), SEGMENT_BYTES),
    );
  },
);
