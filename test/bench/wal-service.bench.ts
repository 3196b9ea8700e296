// The WAL service end to end: a WalProposer streaming genuine PostgreSQL WAL to three real
// safekeeper processes (fsync on, 16 MiB segments, a fresh timeline per measurement), against
// what the same disk does on its own in the same run. Reports quorum-commit throughput (vs a
// plain writer fdatasyncing three files) and the commit latency of single 8 KiB records (vs one
// 8 KiB write + fdatasync). Prints one JSON document; a missed target is reported, not fatal.
import { MAX_UNCOMMITTED_BYTES } from '../../src/walproposer/push-generated-wal.js';
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { quorumOf } from '../../src/walproposer/election.js';
import {
  daemonErrors,
  startBenchSafekeepers,
  stopBenchSafekeepers,
  type BenchSafekeeper,
} from './bench-safekeepers.js';
import { MIB } from '../helpers/wal.js';
import { median, percentile, round, withScratchDir } from './bench-helpers.js';
import { measureFdatasyncLatenciesMs, measurePlainWriterSeconds } from './fsync-baselines.js';
import {
  APPEND_BYTES,
  chunksOf,
  commitLatenciesMs,
  encodeAppends,
  pushSeconds,
  RECORD_BYTES,
  SEGMENT_BYTES,
  type WalStart,
} from './proposer-runs.js';

const SAFEKEEPER_COUNT = 3;
const THROUGHPUT_BYTES = 256 * MIB;
/** Unmeasured: the first pushes run slower while the JIT settles (seen: 110-150 vs 250+ MiB/s). */
const THROUGHPUT_WARMUP_BYTES = 256 * MIB;
const THROUGHPUT_RUNS = 5;
/** Appends before any latency is recorded: the four processes' JIT settles over thousands. */
const LATENCY_WARMUP_COUNT = 2000;
/** Subject and baseline alternate in rounds, so that disk drift hits both alike. */
const LATENCY_ROUNDS = 4;
const LATENCY_ROUND_COUNT = 500;
/** Unrecorded appends at the start of each round (a fresh timeline's first segment and election). */
const LATENCY_ROUND_WARMUP_COUNT = 50;
const TARGET_LATENCY_RATIO = 3;
const TARGET_THROUGHPUT_RATIO = 0.5;

function ratioOf(subject: number, baseline: number): number {
  return Math.round((subject / baseline) * 100) / 100;
}

function latencySummary(durationsMs: readonly number[]): { p50Ms: number; p99Ms: number } {
  const precise = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    p50Ms: precise(percentile(durationsMs, 0.5)),
    p99Ms: precise(percentile(durationsMs, 0.99)),
  };
}

interface Measurements {
  readonly serviceSeconds: number[];
  readonly plainSeconds: number[];
  /** Informational: the plain writer appending to files it creates inside the timing. */
  readonly appendingSeconds: number[];
  readonly commitMs: number[];
  readonly fdatasyncMs: number[];
  /** Informational: the same on one file per safekeeper in parallel, until a quorum is durable. */
  readonly quorumFdatasyncMs: number[];
  readonly daemonErrors: string[];
}

/**
 * Writes back what the throughput runs left dirty (gigabytes), so that the latency rounds do not
 * share the disk with that writeback.
 */
function settleDisk(): void {
  const result = spawnSync('sync', { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`sync exited ${result.status}`);
}

/** The throughput runs: service and plain writer interleaved, so that disk drift hits both. */
async function measureThroughput(
  safekeepers: readonly BenchSafekeeper[],
  baselineDir: string,
): Promise<Pick<Measurements, 'serviceSeconds' | 'plainSeconds' | 'appendingSeconds'>> {
  // A fresh timeline's WAL starts at its second segment, as the proposer's election settles.
  const fresh: WalStart = { startLsn: BigInt(SEGMENT_BYTES), prevRecordLsn: 0n };
  const chunks = chunksOf(encodeAppends(fresh, THROUGHPUT_BYTES).appends);
  // Unmeasured warm-up rounds, so that both sides run optimised code.
  await pushSeconds(safekeepers, THROUGHPUT_WARMUP_BYTES);
  const warmupChunks = chunks.slice(0, THROUGHPUT_WARMUP_BYTES / APPEND_BYTES);
  await measurePlainWriterSeconds(baselineDir, warmupChunks, SAFEKEEPER_COUNT);
  const serviceSeconds: number[] = [];
  const plainSeconds: number[] = [];
  const appendingSeconds: number[] = [];
  for (let run = 0; run < THROUGHPUT_RUNS; run++) {
    settleDisk();
    serviceSeconds.push(await pushSeconds(safekeepers, THROUGHPUT_BYTES));
    settleDisk();
    plainSeconds.push(await measurePlainWriterSeconds(baselineDir, chunks, SAFEKEEPER_COUNT));
    settleDisk();
    appendingSeconds.push(
      await measurePlainWriterSeconds(baselineDir, chunks, SAFEKEEPER_COUNT, 'appended'),
    );
  }
  return { serviceSeconds, plainSeconds, appendingSeconds };
}

/** Latency rounds: the service and the disk's own fdatasync alternate, after one warm-up run. */
async function measureLatency(
  safekeepers: readonly BenchSafekeeper[],
  baselineDir: string,
): Promise<Pick<Measurements, 'commitMs' | 'fdatasyncMs' | 'quorumFdatasyncMs'>> {
  settleDisk();
  await commitLatenciesMs(safekeepers, LATENCY_WARMUP_COUNT, 0);
  const plan = {
    writeBytes: RECORD_BYTES,
    warmupCount: LATENCY_ROUND_WARMUP_COUNT,
    measuredCount: LATENCY_ROUND_COUNT,
  };
  const commitMs: number[] = [];
  const fdatasyncMs: number[] = [];
  const quorumFdatasyncMs: number[] = [];
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    commitMs.push(
      ...(await commitLatenciesMs(safekeepers, LATENCY_ROUND_WARMUP_COUNT, LATENCY_ROUND_COUNT)),
    );
    fdatasyncMs.push(
      ...(await measureFdatasyncLatenciesMs(baselineDir, { ...plan, fileCount: 1, quorum: 1 })),
    );
    quorumFdatasyncMs.push(
      ...(await measureFdatasyncLatenciesMs(baselineDir, {
        ...plan,
        fileCount: SAFEKEEPER_COUNT,
        quorum: quorumOf(SAFEKEEPER_COUNT),
      })),
    );
  }
  return { commitMs, fdatasyncMs, quorumFdatasyncMs };
}

async function measureAll(dir: string): Promise<Measurements> {
  const baselineDir = join(dir, 'baseline');
  await mkdir(baselineDir);
  const safekeepers = await startBenchSafekeepers(join(dir, 'safekeepers'), SAFEKEEPER_COUNT);
  try {
    const throughput = await measureThroughput(safekeepers, baselineDir);
    const latency = await measureLatency(safekeepers, baselineDir);
    return { ...throughput, ...latency, daemonErrors: daemonErrors(safekeepers) };
  } finally {
    await stopBenchSafekeepers(safekeepers);
  }
}

function throughputReport(measured: Measurements): Record<string, unknown> {
  const totalMiB = THROUGHPUT_BYTES / MIB;
  const rate = (seconds: number): number => round(totalMiB / seconds);
  const subjectMiBPerSecond = rate(median(measured.serviceSeconds));
  const baselineMiBPerSecond = rate(median(measured.plainSeconds));
  const ratio = ratioOf(subjectMiBPerSecond, baselineMiBPerSecond);
  return {
    runs: THROUGHPUT_RUNS,
    totalMiB,
    recordBytes: RECORD_BYTES,
    appendBytesMax: APPEND_BYTES,
    maxUncommittedBytes: MAX_UNCOMMITTED_BYTES,
    subjectMiBPerSecond,
    subjectRunsMiBPerSecond: measured.serviceSeconds.map(rate),
    baselineMiBPerSecond,
    baselineRunsMiBPerSecond: measured.plainSeconds.map(rate),
    baseline: `plain Node writer: each 128 KiB chunk written to ${SAFEKEEPER_COUNT} preallocated files and fdatasynced, the files in parallel`,
    ratio,
    appendingWriter: {
      MiBPerSecond: rate(median(measured.appendingSeconds)),
      runsMiBPerSecond: measured.appendingSeconds.map(rate),
      ratio: ratioOf(subjectMiBPerSecond, rate(median(measured.appendingSeconds))),
      what: 'informational: the same plain writer appending to files it creates inside the timing (no preallocation); the target is judged against the preallocated baseline',
    },
    targetRatio: TARGET_THROUGHPUT_RATIO,
    meetsTarget: ratio >= TARGET_THROUGHPUT_RATIO,
    notes:
      'subject: WalProposer -> 3 safekeepers, timed from the first append to waitForCommit(end); the daemons create (zero-fill, fsync) their segments inside the timing, the baseline files are preallocated before it',
  };
}

function latencyReport(measured: Measurements): Record<string, unknown> {
  const subject = latencySummary(measured.commitMs);
  const baseline = latencySummary(measured.fdatasyncMs);
  const ratio = ratioOf(subject.p50Ms, baseline.p50Ms);
  return {
    appends: measured.commitMs.length,
    rounds: LATENCY_ROUNDS,
    warmupAppends: LATENCY_WARMUP_COUNT,
    recordBytes: RECORD_BYTES,
    subjectP50Ms: subject.p50Ms,
    subjectP99Ms: subject.p99Ms,
    baselineP50Ms: baseline.p50Ms,
    baselineP99Ms: baseline.p99Ms,
    baseline: 'one 8 KiB write at the next offset of a preallocated file, then fdatasync',
    ratio,
    p99Ratio: ratioOf(subject.p99Ms, baseline.p99Ms),
    quorumFdatasync: {
      ...latencySummary(measured.quorumFdatasyncMs),
      what: `informational: the same write + fdatasync on ${SAFEKEEPER_COUNT} files in parallel, until ${quorumOf(SAFEKEEPER_COUNT)} are durable (the disk's share of a quorum commit)`,
    },
    targetRatio: TARGET_LATENCY_RATIO,
    meetsTarget: ratio <= TARGET_LATENCY_RATIO,
    notes:
      "subject: append of one record until waitForCommit(its end), one at a time, after a warm-up run and a sync of the throughput runs' dirty pages; subject and baselines alternate in rounds; ratio is p50/p50",
  };
}

const startedAt = performance.now();
// Other work on the machine skews every figure here: the load average is reported with them.
const [loadAverageAtStart] = loadavg();
// Scratch space in the OS temp dir: daemons' data dirs and baseline files share one disk.
const measured = await withScratchDir('neon-local-bench-wal-service-', measureAll);
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'wal-service',
    safekeepers: SAFEKEEPER_COUNT,
    fsync: true,
    segmentBytes: SEGMENT_BYTES,
    node: process.version,
    throughput: throughputReport(measured),
    commitLatency: latencyReport(measured),
    daemonErrors: measured.daemonErrors,
    loadAverage1m: { atStart: loadAverageAtStart, atEnd: loadavg()[0] },
    cpus: cpus().length,
    benchSeconds: round((performance.now() - startedAt) / 1000),
  })}\n`,
);
// A daemon that logged an ERROR makes the figures meaningless: say so with the exit status.
if (measured.daemonErrors.length > 0) process.exitCode = 1;
