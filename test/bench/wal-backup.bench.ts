// WAL offload throughput and lag (issue 14). One safekeeper daemon (16 MiB segments, --no-sync),
// real etcd and the embedded S3 server. (1) Throughput: the safekeeper's bucket is deleted (the
// outage) and WAL is pushed, so N complete segments wait, the task backing off; the segment
// files are read once, untimed, so that both sides find them in the page cache (the safekeeper
// writes them with O_DIRECT; the cold read rate is printed). The bucket is created again, the
// clock starts, POST .../offload ends the backoff, and the clock stops when backup_lsn covers
// them all (a long poll; the resign after it is not timed). The server process stays the same
// throughout, warmed by an untimed first round, as a long-running S3 would be. The baseline,
// alternated with it: the AWS SDK putting the same files to the same server and bucket, from a
// plain pool of as many workers as the safekeeper's --wal-backup-parallel-jobs.
// (2) Lag: a push at full speed with S3 up, sampling commit_lsn - backup_lsn every 20 ms.
// Prints one JSON line with the machine facts beside (cores, load, the disk's fdatasync and
// write rates, the cold read rate of a segment file).
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseTenantId, parseTimelineId, type TimelineId } from '../../src/common/hex-id.js';
import { formatLsn, parseLsn } from '../../src/postgres/lsn.js';
import { segmentFileName } from '../../src/postgres/segment-name.js';
import type { LsnWaitDocument, TimelineStatus } from '../../src/protocol/timeline-status.js';
import { pushGeneratedWal } from '../../src/walproposer/push-generated-wal.js';
import {
  listObjects,
  startTestEtcd,
  TestS3Server,
  useEmbeddedS3Credentials,
  type Cleanups,
} from '../helpers/backup-servers.js';
import { startTestSafekeeper, type RunningSafekeeper } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TEST_SYSTEM_ID } from '../helpers/wal.js';
import { median, percentile, reportThroughput, round } from './bench-helpers.js';
import { measureDiskFacts } from './fsync-baselines.js';

const MIB = 1024 * 1024;
const SEGMENT_BYTES = 16 * MIB;
const SEGMENTS = Number(process.env.WAL_BACKUP_BENCH_SEGMENTS ?? 8);
const RUNS = Number(process.env.WAL_BACKUP_BENCH_RUNS ?? 9);
/** The safekeeper's bucket, deleted for each run's outage (the test bucket stays). */
const OFFLOAD_BUCKET = 'bench-offload';
/** WAL_BACKUP_BENCH_TRACE=1: each run's clock and the S3 server's request log, on stderr. */
const TRACE = process.env.WAL_BACKUP_BENCH_TRACE === '1';
const PARALLEL_JOBS = 4;
const LAG_PUSH_BYTES = 256 * MIB;
const LAG_SAMPLE_MS = 20;
const TIMEOUT_MS = 120_000;
const WAIT_POLL_MS = 10_000;
const TENANT = parseTenantId('be0cbe0cbe0cbe0cbe0cbe0cbe0cbe0c');

function timelineNumbered(index: number): TimelineId {
  return parseTimelineId(index.toString(16).padStart(32, '0'));
}

async function statusOf(sk: RunningSafekeeper, timeline: TimelineId): Promise<TimelineStatus> {
  const response = await fetch(`${sk.url}/v1/tenant/${TENANT}/timeline/${timeline}`);
  return (await response.json()) as TimelineStatus;
}

function pushTo(sk: RunningSafekeeper, timeline: TimelineId, totalBytes: number) {
  return pushGeneratedWal(
    {
      tenantId: TENANT,
      timelineId: timeline,
      systemId: TEST_SYSTEM_ID,
      segmentSizeBytes: SEGMENT_BYTES,
      safekeepers: [{ id: 1, host: '127.0.0.1', port: sk.pgPort }],
    },
    { recordSizeBytes: 8192, totalBytes },
    Date.now() + TIMEOUT_MS,
  );
}

/** Resolves true once backup_lsn >= target (false after TIMEOUT_MS), by the wait route's long poll. */
async function waitForBackupLsn(
  sk: RunningSafekeeper,
  timeline: TimelineId,
  target: bigint,
): Promise<boolean> {
  const deadlineMs = Date.now() + TIMEOUT_MS;
  const query = `lsn=backup_lsn&at_least=${formatLsn(target)}&timeout_ms=${WAIT_POLL_MS}`;
  while (Date.now() < deadlineMs) {
    const response = await fetch(
      `${sk.url}/v1/tenant/${TENANT}/timeline/${timeline}/wait?${query}`,
    );
    if (((await response.json()) as LsnWaitDocument).reached) return true;
  }
  return false;
}

/** The outage: every object of the safekeeper's bucket deleted, then the bucket. */
async function deleteOffloadBucket(s3: S3Client): Promise<void> {
  const keys = [...(await listObjects(s3, '', OFFLOAD_BUCKET)).keys()];
  await Promise.all(
    keys.map((key) => s3.send(new DeleteObjectCommand({ Bucket: OFFLOAD_BUCKET, Key: key }))),
  );
  await s3.send(new DeleteBucketCommand({ Bucket: OFFLOAD_BUCKET }));
}

/** One subject run: N segments pushed during the outage, then timed from the bucket's return. */
async function offloadRunMs(
  sk: RunningSafekeeper,
  s3: S3Client,
  timeline: TimelineId,
): Promise<{ ms: number; files: string[]; coldReadMiBPerSecond: number }> {
  await deleteOffloadBucket(s3);
  // Just past N segments: the (N+1)th holds commit_lsn and stays local.
  const pushed = await pushTo(sk, timeline, SEGMENTS * SEGMENT_BYTES + MIB);
  const target = (pushed.commitLsn / BigInt(SEGMENT_BYTES)) * BigInt(SEGMENT_BYTES);
  const firstSegno = parseLsn((await statusOf(sk, timeline)).backup_lsn) / BigInt(SEGMENT_BYTES);
  const files: string[] = [];
  for (let segno = firstSegno; segno < target / BigInt(SEGMENT_BYTES); segno++)
    files.push(join(sk.dataDir, TENANT, timeline, segmentFileName(segno, SEGMENT_BYTES)));
  const coldReadMiBPerSecond = await readRateMiBPerSecond(files[0]!);
  for (const file of files) await readFile(file);
  // The clock covers uploading and confirming the segments, the work the SDK baseline does: it
  // stops when backup_lsn covers them (a long poll on the timeline's change events), not when
  // the route answers, which is after the resign's lease revoke and an etcd read for the leader.
  // It starts when the bucket is back: before, neither side can do anything (a backoff ending
  // during the CreateBucket's last milliseconds could gain the offload those).
  const reached = waitForBackupLsn(sk, timeline, target);
  await s3.send(new CreateBucketCommand({ Bucket: OFFLOAD_BUCKET }));
  const begunAt = performance.now();
  // The route ends the backoff pause the outage left the task in.
  const offloaded = fetch(`${sk.url}/v1/tenant/${TENANT}/timeline/${timeline}/offload`, {
    method: 'POST',
  }).then((response) => response.text());
  if (!(await reached)) throw new Error('the offload did not catch up');
  const ms = performance.now() - begunAt;
  if (TRACE)
    process.stderr.write(
      `offload clock ${new Date(Date.now() - ms).toISOString()} .. ${new Date().toISOString()}\n`,
    );
  // Untimed: the task resigns before the baseline runs.
  await offloaded;
  return { ms, files, coldReadMiBPerSecond };
}

/** The baseline: the SDK puts the same files under another prefix, from a pool of PARALLEL_JOBS workers. */
async function sdkPutMs(s3: S3Client, files: readonly string[], run: number): Promise<number> {
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift())
      await s3.send(
        new PutObjectCommand({
          Bucket: OFFLOAD_BUCKET,
          Key: `baseline/${run}/${path.slice(-24)}`,
          Body: createReadStream(path),
          ContentLength: SEGMENT_BYTES,
        }),
      );
  };
  const begunAt = performance.now();
  await Promise.all(Array.from({ length: PARALLEL_JOBS }, worker));
  const ms = performance.now() - begunAt;
  if (TRACE)
    process.stderr.write(
      `sdk clock ${new Date(Date.now() - ms).toISOString()} .. ${new Date().toISOString()}\n`,
    );
  return ms;
}

/** commit_lsn - backup_lsn during a full-speed push, in MiB. */
async function measureLag(sk: RunningSafekeeper, timeline: TimelineId) {
  const lags: number[] = [];
  let pushing = true;
  const pushed = pushTo(sk, timeline, LAG_PUSH_BYTES).finally(() => (pushing = false));
  const begunAt = performance.now();
  while (pushing) {
    try {
      const status = await statusOf(sk, timeline);
      lags.push(Number(parseLsn(status.commit_lsn) - parseLsn(status.backup_lsn)) / MIB);
    } catch {
      // not created yet
    }
    await new Promise((resolve) => setTimeout(resolve, LAG_SAMPLE_MS));
  }
  const { commitLsn } = await pushed;
  const seconds = (performance.now() - begunAt) / 1000;
  return {
    pushMiBPerSecond: round(LAG_PUSH_BYTES / MIB / seconds),
    samples: lags.length,
    lagMaxMiB: round(Math.max(...lags)),
    lagP50MiB: round(percentile(lags, 0.5)),
    lagP90MiB: round(percentile(lags, 0.9)),
    commitLsnAtEnd: commitLsn.toString(16),
  };
}

async function readRateMiBPerSecond(path: string): Promise<number> {
  const begunAt = performance.now();
  await readFile(path);
  return round(SEGMENT_BYTES / MIB / ((performance.now() - begunAt) / 1000));
}

async function main(): Promise<void> {
  useEmbeddedS3Credentials();
  const cleanups: (() => unknown)[] = [];
  const context: Cleanups = { after: (fn: () => unknown) => void cleanups.push(fn) };
  try {
    const [etcd, s3] = await Promise.all([startTestEtcd(context), TestS3Server.start(context)]);
    const client = await s3.client(context);
    await client.send(new CreateBucketCommand({ Bucket: OFFLOAD_BUCKET }));
    const dataDir = await makeTempDir(context);
    const sk = await startTestSafekeeper(context, dataDir, [
      '--no-sync',
      '--broker-endpoints',
      etcd.endpoint,
      '--remote-storage',
      s3.remoteStorageFlag('bench', OFFLOAD_BUCKET),
      '--wal-backup-parallel-jobs',
      String(PARALLEL_JOBS),
    ]);
    const subjectMs: number[] = [];
    const baselineMs: number[] = [];
    const coldReadRates: number[] = [];
    // Run 0 is the untimed warm-up of both sides.
    for (let run = 0; run <= RUNS; run++) {
      const offload = await offloadRunMs(sk, client, timelineNumbered(run + 1));
      const sdkMs = await sdkPutMs(client, offload.files, run);
      if (run === 0) continue;
      subjectMs.push(offload.ms);
      baselineMs.push(sdkMs);
      coldReadRates.push(offload.coldReadMiBPerSecond);
    }
    if (TRACE) process.stderr.write(s3.requestLog);
    const lag = await measureLag(sk, timelineNumbered(RUNS + 2));
    const mib = (SEGMENTS * SEGMENT_BYTES) / MIB;
    reportThroughput({
      benchmark: `wal backup: ${SEGMENTS} complete 16 MiB segments to the embedded S3`,
      runs: RUNS,
      subjectMiBPerSecond: round(mib / (median(subjectMs) / 1000)),
      baselineMiBPerSecond: round(mib / (median(baselineMs) / 1000)),
      baseline: `AWS SDK PutObject of the same files, a pool of ${PARALLEL_JOBS}, same server`,
      targetRatio: 0.9,
      notes: {
        subjectMs: subjectMs.map(round),
        baselineMs: baselineMs.map(round),
        runRatios: subjectMs.map((ms, index) => Math.round((baselineMs[index]! / ms) * 100) / 100),
        lagDuringFullSpeedPush: lag,
        segmentFileColdReadMiBPerSecond: coldReadRates,
        disk: await measureDiskFacts(dataDir),
        cores: availableParallelism(),
        loadAverage1m: round(loadavg()[0] ?? 0),
        node: process.version,
        safekeeperErrors: sk
          .output()
          .split('\n')
          .filter((line) => line.includes('"level":"error"')),
      },
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

await main();
