// Streaming committed WAL out of a safekeeper, two ways, in the same run on the same disk:
// (1) our pageserver catching up a timeline from its start, against PostgreSQL 15's own
// pg_receivewal streaming the same WAL from the same safekeeper (target: at least 0.9x its
// MiB/s); (2) how far the pageserver's received end trails commit_lsn during a full-speed
// `wal push` (max and p99 of samples every 20 ms). Both write and fsync their copy. The disk's
// own fdatasync latency and the machine's cores and load are printed with the figures.
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../../src/common/deadline.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import type { LocalCluster } from '../../src/index.js';
import { PG_BIN_DIR } from '../helpers/postgres.js';
import {
  median,
  round,
  splitIntoChunks,
  withBenchCluster,
  withScratchDir,
} from './bench-helpers.js';
import { measureFdatasyncLatenciesMs, measurePlainWriterSeconds } from './fsync-baselines.js';

const PUSH_BYTES = 256 * 1024 * 1024;
const LAG_PUSH_BYTES = 128 * 1024 * 1024;
const SAMPLE_INTERVAL_MS = 20;
const TARGET_RATIO = 0.9;
const MIB = 1024 * 1024;
const PLAIN_WRITER_BYTES = 64 * MIB;

/** The config as `init` wrote it, with the pageserver off, or on with a long checkpoint interval. */
async function setPageserver(cluster: LocalCluster, enabled: boolean): Promise<void> {
  const path = cluster.layout.configFile;
  const text = await readFile(path, 'utf8');
  await writeFile(
    path,
    text
      .replace(/^enabled = (true|false)$/m, `enabled = ${enabled}`)
      .replace(/^checkpoint_interval = .*$/m, 'checkpoint_interval = "1h"'),
  );
}

async function receivedLsn(cluster: LocalCluster, timelineId: string) {
  const docs = await cluster.pageserverTimelines().catch(() => []);
  return docs.find((doc) => doc.timeline_id === timelineId);
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

await withBenchCluster(true, async ({ cluster, dir }) => {
  await setPageserver(cluster, false);
  await cluster.start();
  const note = (text: string): boolean => process.stderr.write(`pageserver-stream: ${text}\n`);
  const timeline = await cluster.createTimeline();
  note(`pushing ${PUSH_BYTES / MIB} MiB with the pageserver off`);
  const pushed = await cluster.pushWal(timeline.ref, { sizeBytes: PUSH_BYTES, timeoutMs: 300_000 });
  const commitLsn: Lsn = parseLsn((await cluster.timelineStatus(timeline.ref, 1)).commit_lsn);
  const startLsn = parseLsn(pushed.start_lsn);

  note('starting the pageserver: it catches up the whole timeline');
  // (1a) The pageserver, started now, catches up the whole timeline.
  await setPageserver(cluster, true);
  await cluster.start();
  // The streaming rate: from the first poll that sees WAL arriving to the poll that sees all of
  // it durable (the daemon's start and its first discovery round are not streaming).
  let firstSeen: { atMs: number; receivedLsn: Lsn } | undefined;
  const caughtUp = await pollUntil(
    async () => {
      const doc = await receivedLsn(cluster, timeline.timelineId);
      if (doc === undefined) return undefined;
      const received = parseLsn(doc.received_lsn);
      if (firstSeen === undefined && received > startLsn)
        firstSeen = { atMs: performance.now(), receivedLsn: received };
      return parseLsn(doc.durable_lsn) >= commitLsn ? doc : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 5 },
  );
  if (caughtUp === undefined || firstSeen === undefined)
    throw new Error('the pageserver did not catch up in 300 s');
  const pageserverSeconds = (performance.now() - firstSeen.atMs) / 1000;
  const pageserverMiB = Number(commitLsn - firstSeen.receivedLsn) / MIB;
  const sourceId = caughtUp.source?.safekeeper_id ?? 1;
  const config = await cluster.loadConfig();
  const source = config.safekeepers.find((sk) => sk.id === sourceId);
  if (source === undefined) throw new Error(`the pageserver names safekeeper ${sourceId}`);

  note(`pg_receivewal from safekeeper ${sourceId}`);
  // (1b) pg_receivewal from the same safekeeper, from where its WAL begins, to the same end.
  const receivewalSeconds = await withScratchDir('neon-bench-receivewal-', (archive) => {
    const connection = `host=127.0.0.1 port=${source.pgPort} options='-c ztenantid=${timeline.tenantId} ztimelineid=${timeline.timelineId}'`;
    // pg_receivewal stops once it has received WAL *past* --endpos: one byte before the end.
    const endpos = formatLsn(commitLsn - 1n);
    const begunAt = performance.now();
    const args = ['-D', archive, '-d', connection, '--slot', 'bench', '--endpos', endpos];
    const run = spawnSync(join(PG_BIN_DIR, 'pg_receivewal'), [...args, '--no-loop'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    if (run.status !== 0)
      throw new Error(
        `pg_receivewal exited ${run.status} (${run.signal}): ${run.stderr.toString()}`,
      );
    return Promise.resolve((performance.now() - begunAt) / 1000);
  });

  note(`pushing ${LAG_PUSH_BYTES / MIB} MiB with the pageserver streaming`);
  // (2) Lag during a full-speed push, with the pageserver streaming.
  const lagBytes: number[] = [];
  let latestCommit = commitLsn;
  let pushing = true;
  const sampler = (async () => {
    while (pushing) {
      const doc = await receivedLsn(cluster, timeline.timelineId);
      if (doc !== undefined)
        lagBytes.push(Math.max(0, Number(latestCommit - parseLsn(doc.received_lsn))));
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_INTERVAL_MS));
    }
  })();
  try {
    await cluster.pushWal(timeline.ref, {
      sizeBytes: LAG_PUSH_BYTES,
      timeoutMs: 300_000,
      onProgress: (progress) => {
        latestCommit = progress.commitLsn;
      },
    });
  } finally {
    pushing = false;
    await sampler;
  }

  const fdatasyncMs = await measureFdatasyncLatenciesMs(dir, {
    writeBytes: 8192,
    warmupCount: 5,
    measuredCount: 50,
    fileCount: 1,
    quorum: 1,
  });
  // The disk's write rate in 128 KiB appends with an fdatasync each, into a preallocated file
  // (as the safekeeper writes) and into one that grows (as the pageserver's segments do).
  const plainChunks = splitIntoChunks(Buffer.alloc(PLAIN_WRITER_BYTES, 0x5a), 128 * 1024);
  const plainMiBps: Record<string, number> = {};
  for (const files of ['preallocated', 'appended'] as const) {
    const seconds = await measurePlainWriterSeconds(dir, plainChunks, 1, files);
    await rm(join(dir, 'plain-0.bin'), { force: true });
    plainMiBps[files] = round(PLAIN_WRITER_BYTES / MIB / seconds);
  }
  const streamedMiB = Number(commitLsn - startLsn) / MIB;
  const pageserverMiBps = pageserverMiB / pageserverSeconds;
  const receivewalMiBps = streamedMiB / receivewalSeconds;
  const ratio = Math.round((pageserverMiBps / receivewalMiBps) * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'streaming a timeline out of one safekeeper: pageserver vs pg_receivewal',
      streamedMiB: round(streamedMiB),
      pageserverMiBps: round(pageserverMiBps),
      pageserverMeasuredMiB: round(pageserverMiB),
      pageserverSeconds: round(pageserverSeconds),
      pgReceivewalSeconds: round(receivewalSeconds),
      baseline: 'pg_receivewal --slot (PostgreSQL 15), same safekeeper, same end',
      pgReceivewalMiBps: round(receivewalMiBps),
      ratio,
      targetRatio: TARGET_RATIO,
      meetsTarget: ratio >= TARGET_RATIO,
      lagDuringPush: {
        pushedMiB: LAG_PUSH_BYTES / MIB,
        samples: lagBytes.length,
        maxMiB: round(Math.max(0, ...lagBytes) / MIB),
        p99MiB: round(percentile(lagBytes, 0.99) / MIB),
        medianMiB: round(median(lagBytes.length === 0 ? [0] : lagBytes) / MIB),
      },
      machine: {
        cores: availableParallelism(),
        loadAverage1m: round(loadavg()[0] ?? 0),
        fdatasync8KiBMedianMs: round(median(fdatasyncMs) * 100) / 100,
        plainWriter128KiBFdatasyncMiBps: plainMiBps,
        node: process.version,
      },
    })}\n`,
  );
});
