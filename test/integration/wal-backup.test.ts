// WAL offload end to end (neon-reference §9.4, issue 14): real etcd, the embedded S3 server and
// three safekeeper daemons, WAL pushed by our walproposer in 1 MiB segments. Every complete
// segment lands in the bucket exactly once with the right size and bytes, one safekeeper
// uploads at a time, a SIGKILLed leader is replaced within the lease TTL plus 3 s, and an S3
// outage stops backup_lsn (logged once, not per retry) until S3 is back.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { parseTenantId, parseTimelineId } from '../../src/common/hex-id.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { segmentFileName } from '../../src/postgres/segment-name.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';
import { pushGeneratedWal, type PushedWal } from '../../src/walproposer/push-generated-wal.js';
import {
  getObject,
  listObjects,
  startTestEtcd,
  TestS3Server,
  useEmbeddedS3Credentials,
} from '../helpers/backup-servers.js';
import { startTestSafekeeper, type RunningSafekeeper } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { MIB, TEST_SYSTEM_ID } from '../helpers/wal.js';

const TENANT = parseTenantId('bac0bac0bac0bac0bac0bac0bac0bac0');
const TIMELINE = parseTimelineId('0ff10ad00ff10ad00ff10ad00ff10ad0');
const PREFIX = 'wal';
const TIMELINE_PREFIX = `${PREFIX}/${TENANT}/${TIMELINE}/`;
const TTL_MS = 2000;
const PUSH_TIMEOUT_MS = 40_000;
const CATCH_UP_TIMEOUT_MS = 20_000;

useEmbeddedS3Credentials();

interface Setup {
  readonly s3: TestS3Server;
  readonly safekeepers: RunningSafekeeper[];
}

async function startSetup(t: TestContext, count: number): Promise<Setup> {
  const [etcd, s3] = await Promise.all([startTestEtcd(t), TestS3Server.start(t)]);
  const safekeepers = await Promise.all(
    Array.from({ length: count }, async (_, index) =>
      startTestSafekeeper(t, await makeTempDir(t), [
        '--id',
        String(index + 1),
        '--no-sync',
        '--broker-endpoints',
        etcd.endpoint,
        '--remote-storage',
        s3.remoteStorageFlag(PREFIX),
        '--election-ttl',
        `${TTL_MS}ms`,
      ]),
    ),
  );
  return { s3, safekeepers };
}

function push(
  safekeepers: readonly RunningSafekeeper[],
  totalBytes: number,
  rateBytesPerSecond?: number,
): Promise<PushedWal> {
  return pushGeneratedWal(
    {
      tenantId: TENANT,
      timelineId: TIMELINE,
      systemId: TEST_SYSTEM_ID,
      segmentSizeBytes: MIB,
      safekeepers: safekeepers.map((sk, index) => ({
        id: index + 1,
        host: '127.0.0.1',
        port: sk.pgPort,
      })),
    },
    { recordSizeBytes: 8192, totalBytes, rateBytesPerSecond },
    Date.now() + PUSH_TIMEOUT_MS,
  );
}

async function statusOf(sk: RunningSafekeeper): Promise<TimelineStatus | undefined> {
  try {
    const response = await fetch(`${sk.url}/v1/tenant/${TENANT}/timeline/${TIMELINE}`);
    if (response.status !== 200) {
      await response.body?.cancel();
      return undefined;
    }
    return (await response.json()) as TimelineStatus;
  } catch {
    return undefined;
  }
}

/** A metric's value on one daemon (0 when absent). */
async function metricOf(sk: RunningSafekeeper, name: string): Promise<number> {
  const text = await (await fetch(`${sk.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((row) => row.startsWith(`${name}{`) || row.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function waitBackupLsn(sk: RunningSafekeeper, target: Lsn, timeoutMs: number): Promise<void> {
  const reached = await pollUntil(
    async () => {
      const status = await statusOf(sk);
      return status !== undefined && parseLsn(status.backup_lsn) >= target ? true : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
  const status = await statusOf(sk);
  assert.ok(
    reached,
    `backup_lsn of the safekeeper on ${sk.url} reached ${formatLsn(target)}: ${JSON.stringify(status?.wal_backup)} backup_lsn ${status?.backup_lsn}`,
  );
}

/** The segment names [1, endSegno) of 1 MiB segments. */
function segmentNames(endSegno: bigint): string[] {
  const names: string[] = [];
  for (let segno = 1n; segno < endSegno; segno++) names.push(segmentFileName(segno, MIB));
  return names;
}

async function assertBucketHoldsExactly(
  setup: Setup,
  t: TestContext,
  endSegno: bigint,
  source: RunningSafekeeper,
): Promise<void> {
  const s3 = await setup.s3.client(t);
  const objects = await listObjects(s3, TIMELINE_PREFIX);
  const expected = segmentNames(endSegno);
  assert.deepEqual(
    [...objects.keys()].sort(),
    expected.map((name) => TIMELINE_PREFIX + name),
  );
  for (const size of objects.values()) assert.equal(size, MIB);
  // The bytes too: every object equals the segment file on a safekeeper (the upload bodies are
  // read into reused buffers, so a mix-up would show in a later segment).
  for (const name of expected) {
    const stored = await getObject(s3, TIMELINE_PREFIX + name);
    const local = await readFile(join(source.dataDir, TENANT, TIMELINE, name));
    assert.ok(stored.equals(local), `${name} in the bucket equals the local file`);
  }
}

function assertNoErrorLines(safekeepers: readonly RunningSafekeeper[]): void {
  for (const sk of safekeepers) {
    const errors = sk
      .output()
      .split('\n')
      .filter((line) => line.includes('"level":"error"'));
    assert.deepEqual(errors, [], `no ERROR lines on ${sk.url}`);
  }
}

test(
  'three safekeepers offload every complete segment exactly once',
  { timeout: 60_000 },
  async (t) => {
    const setup = await startSetup(t, 3);
    const pushed = await push(setup.safekeepers, 5 * MIB + MIB / 2);
    const endSegno = pushed.commitLsn / BigInt(MIB);
    assert.ok(
      endSegno >= 4n,
      `more than two complete segments (commit ${formatLsn(pushed.commitLsn)})`,
    );
    const lastEnd = endSegno * BigInt(MIB);
    for (const sk of setup.safekeepers) await waitBackupLsn(sk, lastEnd, CATCH_UP_TIMEOUT_MS);
    await assertBucketHoldsExactly(setup, t, endSegno, setup.safekeepers[0]!);
    // Exactly one safekeeper put each segment: the uploads add up to the segment count.
    const uploads = await Promise.all(
      setup.safekeepers.map((sk) => metricOf(sk, 'safekeeper_wal_backup_uploads_total')),
    );
    assert.equal(
      uploads.reduce((a, b) => a + b, 0),
      Number(endSegno - 1n),
      `uploads per safekeeper ${uploads.join(', ')}`,
    );
    const found = await Promise.all(
      setup.safekeepers.map((sk) => metricOf(sk, 'safekeeper_wal_backup_segments_found_total')),
    );
    t.diagnostic(
      `uploads per safekeeper ${uploads.join(', ')}; found in the bucket ${found.join(', ')}`,
    );
    for (const sk of setup.safekeepers) {
      const status = await statusOf(sk);
      assert.equal(status?.wal_backup.configured, true);
      assert.equal(status?.wal_backup.last_error, null);
    }
    assertNoErrorLines(setup.safekeepers);
  },
);

async function leaderOf(safekeepers: readonly RunningSafekeeper[]): Promise<number | undefined> {
  for (const [index, sk] of safekeepers.entries())
    if ((await statusOf(sk))?.wal_backup.leader === true) return index;
  return undefined;
}

test(
  'the leader SIGKILLed mid-offload: another takes over within the TTL plus 3 s, no segment missing',
  { timeout: 60_000 },
  async (t) => {
    const setup = await startSetup(t, 3);
    const pushing = push(setup.safekeepers, 12 * MIB, 2 * MIB);
    // Mid-offload: some segments are in the bucket, more are coming.
    const leaderIndex = await pollUntil(
      async () => {
        const uploads = await Promise.all(
          setup.safekeepers.map((sk) => metricOf(sk, 'safekeeper_wal_backup_uploads_total')),
        );
        const index = uploads.findIndex((count) => count >= 2);
        return index === -1 ? undefined : index;
      },
      { timeoutMs: CATCH_UP_TIMEOUT_MS, intervalMs: 50 },
    );
    assert.ok(leaderIndex !== undefined, 'a leader uploaded two segments');
    const victim = setup.safekeepers[leaderIndex]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAtMs = Date.now();
    const survivors = setup.safekeepers.filter((sk) => sk !== victim);
    const next = await pollUntil(() => leaderOf(survivors), {
      timeoutMs: TTL_MS + 3000,
      intervalMs: 50,
    });
    const takeoverMs = Date.now() - killedAtMs;
    assert.ok(next !== undefined, `a survivor leads within ${TTL_MS + 3000} ms`);
    t.diagnostic(`takeover after ${takeoverMs} ms (TTL ${TTL_MS} ms)`);
    const pushed = await pushing;
    const endSegno = pushed.commitLsn / BigInt(MIB);
    for (const sk of survivors)
      await waitBackupLsn(sk, endSegno * BigInt(MIB), CATCH_UP_TIMEOUT_MS);
    await assertBucketHoldsExactly(setup, t, endSegno, survivors[0]!);
    assertNoErrorLines(survivors);
  },
);

test(
  'S3 stopped: backup_lsn stops and the failure is logged once; S3 back: offload catches up',
  { timeout: 60_000 },
  async (t) => {
    const setup = await startSetup(t, 1);
    const sk = setup.safekeepers[0]!;
    const first = await push(setup.safekeepers, 2 * MIB + MIB / 2);
    const backedUp = (first.commitLsn / BigInt(MIB)) * BigInt(MIB);
    await waitBackupLsn(sk, backedUp, CATCH_UP_TIMEOUT_MS);
    await setup.s3.stop();
    const logBefore = sk.output().split('\n').length;
    const second = await push(setup.safekeepers, 3 * MIB);
    const target = (second.commitLsn / BigInt(MIB)) * BigInt(MIB);
    assert.ok(target > backedUp);
    // Retries go on (10 ms doubling to 5 s) for a few seconds while S3 is down.
    await pollUntil(
      async () => ((await statusOf(sk))?.wal_backup.last_error?.failures ?? 0) >= 5 || undefined,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const down = await statusOf(sk);
    assert.equal(down?.backup_lsn, formatLsn(backedUp), 'backup_lsn stopped while S3 is down');
    assert.ok((down?.wal_backup.last_error?.failures ?? 0) >= 5, JSON.stringify(down?.wal_backup));
    const outageLines = sk.output().split('\n').slice(logBefore);
    const failureLines = outageLines.filter((line) => line.includes('WAL upload failed'));
    assert.equal(
      failureLines.length,
      1,
      `the failure is logged once, not per retry:\n${outageLines.join('\n')}`,
    );
    assert.ok(outageLines.length < 30, `${outageLines.length} log lines during the outage`);
    // The offload route answers what the safekeeper is doing: leading, backing off.
    const answer = (await (
      await fetch(`${sk.url}/v1/tenant/${TENANT}/timeline/${TIMELINE}/offload`, { method: 'POST' })
    ).json()) as {
      leader: boolean;
      leader_node_id: number | null;
      backup_lsn: string;
      phase: string;
    };
    assert.equal(answer.leader, true, JSON.stringify(answer));
    assert.equal(answer.leader_node_id, 1);
    assert.equal(answer.backup_lsn, formatLsn(backedUp));
    assert.equal(answer.phase, 'backoff', JSON.stringify(answer));

    await setup.s3.resume();
    const resumed = (await (
      await fetch(`${sk.url}/v1/tenant/${TENANT}/timeline/${TIMELINE}/offload`, { method: 'POST' })
    ).json()) as { backup_lsn: string };
    t.diagnostic(`offload right after S3 came back: backup_lsn ${resumed.backup_lsn}`);
    await waitBackupLsn(sk, target, CATCH_UP_TIMEOUT_MS);
    assert.equal(
      sk
        .output()
        .split('\n')
        .filter((line) => line.includes('WAL upload recovered')).length,
      1,
    );
    assert.equal((await statusOf(sk))?.wal_backup.last_error, null);
    await assertBucketHoldsExactly(setup, t, target / BigInt(MIB), sk);
    assertNoErrorLines(setup.safekeepers);
  },
);
