// Streaming committed WAL out of a safekeeper, two ways, in the same run on the same disk:
// (1) our pageserver catching up a timeline from its start, against PostgreSQL 15's own
// pg_receivewal streaming the same WAL from the same safekeeper (target: at least 0.9x its
// MiB/s), alternated ROUNDS times (the pageserver restarted without its copy each time), the
// ratio of the medians; (2) how far the pageserver's received end trails commit_lsn during a
// full-speed `wal push` (max and p99 of samples every 10 ms). Both write and fsync their copy,
// both stream WAL the safekeepers' page cache holds, after their background offload, and
// nothing polls the pageserver while it streams (long polls on its wait route). The disk's
// fdatasync latency, the machine's cores and load and this process's CPU in each phase are
// printed with the figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../../src/common/deadline.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import type { LocalCluster } from '../../src/index.js';
import { PageserverClient } from '../../src/client/pageserver-client.js';
import { pageserverHttpUrl } from '../../src/cluster/components/pageserver.js';
import { PG_BIN_DIR } from '../helpers/postgres.js';
import { median, round, withBenchCluster } from './bench-helpers.js';
import { measureDiskFacts } from './fsync-baselines.js';

const PUSH_BYTES = 256 * 1024 * 1024;
/** Long enough for a few hundred lag samples (a p99 that is not just the maximum). */
const LAG_PUSH_BYTES = 512 * 1024 * 1024;
const SAMPLE_INTERVAL_MS = 10;
const TARGET_RATIO = 0.9;
/** Catch-ups and pg_receivewal runs, alternated: the ratio is of their medians. */
const ROUNDS = 3;
/** One long poll on the pageserver, and how many of them a phase may take. */
const WAIT_TIMEOUT_MS = 30_000;
const WAITS_MAX = 10;
const MIB = 1024 * 1024;
/** The segment size `init` gives a timeline (16 MiB, as PostgreSQL's default). */
const SEGMENT_BYTES = 16 * MIB;

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

/**
 * Waits until the safekeepers' background WAL offload has uploaded every complete segment of the
 * push: it reads the segments and writes the bucket's files, and must not run beside only one of
 * the two consumers measured.
 */
async function waitForOffload(cluster: LocalCluster, ref: string, commitLsn: Lsn): Promise<void> {
  const segmentStart = commitLsn - (commitLsn % BigInt(SEGMENT_BYTES));
  const ids = (await cluster.loadConfig()).safekeepers.map((sk) => sk.id);
  const done = await pollUntil(
    async () => {
      for (const id of ids) {
        const status = await cluster.timelineStatus(ref, id);
        if (parseLsn(status.backup_lsn) < segmentStart) return undefined;
      }
      return true;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
  if (done === undefined) throw new Error('the safekeepers did not offload the push in 120 s');
}

/**
 * Reads every file under each safekeeper's data dir once. The safekeepers write WAL with
 * O_DIRECT, so it is not in the page cache: whichever consumer streams first would pay the
 * reads from disk (and the new page-cache memory) on the safekeeper and leave the WAL cached for
 * the other. Read beforehand, both stream it from the page cache.
 */
async function warmPageCache(cluster: LocalCluster): Promise<number> {
  const buffer = Buffer.allocUnsafe(MIB);
  let readBytes = 0;
  const readTree = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await readTree(path);
      if (!entry.isFile()) continue;
      const handle = await open(path, 'r');
      try {
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          readBytes += bytesRead;
        }
      } finally {
        await handle.close();
      }
    }
  };
  for (const sk of (await cluster.loadConfig()).safekeepers)
    await readTree(cluster.layout.safekeeper(sk.id).dataDir);
  return readBytes;
}

/** This process's CPU (user + system) since `before`: what its polling cost beside a consumer. */
function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

interface Round {
  readonly pageserverMiBps: number;
  readonly pgReceivewalMiBps: number;
  readonly pageserverSeconds: number;
  readonly pgReceivewalSeconds: number;
  readonly benchCpuSeconds: { readonly pageserver: number; readonly pgReceivewal: number };
  readonly loadAverage1m: number;
}

interface TimelineIds {
  readonly tenantId: string;
  readonly timelineId: string;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/**
 * Starts the pageserver and measures its catch-up: from the moment WAL is first seen arriving
 * to the moment all of it is durable (the daemon's start and its first discovery round are not
 * streaming). Both ends are long polls on its wait route: nothing polls it while it streams.
 */
async function catchUpOnce(
  cluster: LocalCluster,
  pageserver: PageserverClient,
  ids: TimelineIds,
  range: { readonly startLsn: Lsn; readonly commitLsn: Lsn },
) {
  await cluster.start();
  const known = await pollUntil(() => receivedLsn(cluster, ids.timelineId), {
    timeoutMs: 60_000,
    intervalMs: 5,
  });
  if (known === undefined) throw new Error('the pageserver did not find the timeline in 60 s');
  const waitFor = async (lsnName: string, atLeast: Lsn): Promise<Lsn> => {
    for (let attempt = 0; attempt < WAITS_MAX; attempt++) {
      const answer = await pageserver.waitForLsn(
        ids.tenantId,
        ids.timelineId,
        lsnName,
        formatLsn(atLeast),
        WAIT_TIMEOUT_MS,
      );
      if (answer.reached) return parseLsn(answer.value);
    }
    throw new Error(`the pageserver's ${lsnName} did not reach ${formatLsn(atLeast)}`);
  };
  const cpuBefore = process.cpuUsage();
  const firstReceivedLsn = await waitFor('received_lsn', range.startLsn + 1n);
  const firstSeenAtMs = performance.now();
  await waitFor('durable_lsn', range.commitLsn);
  const seconds = (performance.now() - firstSeenAtMs) / 1000;
  const benchCpuS = cpuSecondsSince(cpuBefore);
  const caughtUp = await pageserver.timeline(ids.tenantId, ids.timelineId);
  return {
    seconds,
    streamedMiB: Number(range.commitLsn - firstReceivedLsn) / MIB,
    sourceId: caughtUp.source?.safekeeper_id ?? 1,
    benchCpuS,
  };
}

/** pg_receivewal from one safekeeper, from where its WAL begins, to the same end. */
function receivewalOnce(pgPort: number, ids: TimelineIds, commitLsn: Lsn) {
  const archive = mkdtempSync(join(tmpdir(), 'neon-bench-receivewal-'));
  try {
    const connection = `host=127.0.0.1 port=${pgPort} options='-c ztenantid=${ids.tenantId} ztimelineid=${ids.timelineId}'`;
    // pg_receivewal stops once it has received WAL *past* --endpos: one byte before the end.
    const endpos = formatLsn(commitLsn - 1n);
    const cpuBefore = process.cpuUsage();
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
    return { seconds: (performance.now() - begunAt) / 1000, benchCpuS: cpuSecondsSince(cpuBefore) };
  } finally {
    rmSync(archive, { recursive: true, force: true });
  }
}

/** SIGTERM to the pageserver, then its timeline's files go: the next start catches up anew. */
async function stopPageserverAndForget(cluster: LocalCluster, tenantId: string): Promise<void> {
  const paths = cluster.layout.pageserver;
  const pid = Number((await readFile(paths.pidFile, 'utf8')).trim());
  process.kill(pid, 'SIGTERM');
  const isGone = (): true | undefined => {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch {
      return true;
    }
  };
  const gone = await pollUntil(() => Promise.resolve(isGone()), {
    timeoutMs: 30_000,
    intervalMs: 20,
  });
  if (gone === undefined) throw new Error(`the pageserver (pid ${pid}) did not stop in 30 s`);
  await rm(join(paths.dataDir, tenantId), { recursive: true, force: true });
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
  note("waiting for the WAL offload, then reading the safekeepers' files into the page cache");
  await waitForOffload(cluster, timeline.ref, commitLsn);
  const warmedMiB = (await warmPageCache(cluster)) / MIB;

  await setPageserver(cluster, true);
  const config = await cluster.loadConfig();
  const pageserver = new PageserverClient(pageserverHttpUrl(config), 35_000);
  const ids = { tenantId: timeline.tenantId, timelineId: timeline.timelineId };
  const rounds: Round[] = [];
  for (let roundNumber = 1; roundNumber <= ROUNDS; roundNumber++) {
    if (roundNumber > 1) await stopPageserverAndForget(cluster, timeline.tenantId);
    note(`round ${roundNumber}: the pageserver catches up the whole timeline`);
    const catchUp = await catchUpOnce(cluster, pageserver, ids, { startLsn, commitLsn });
    const source = config.safekeepers.find((sk) => sk.id === catchUp.sourceId);
    if (source === undefined)
      throw new Error(`the pageserver names safekeeper ${catchUp.sourceId}`);
    note(`round ${roundNumber}: pg_receivewal from safekeeper ${source.id}`);
    const receivewal = receivewalOnce(source.pgPort, ids, commitLsn);
    rounds.push({
      pageserverMiBps: round(catchUp.streamedMiB / catchUp.seconds),
      pgReceivewalMiBps: round(Number(commitLsn - startLsn) / MIB / receivewal.seconds),
      pageserverSeconds: round2(catchUp.seconds),
      pgReceivewalSeconds: round2(receivewal.seconds),
      benchCpuSeconds: {
        pageserver: round2(catchUp.benchCpuS),
        pgReceivewal: round2(receivewal.benchCpuS),
      },
      loadAverage1m: round(loadavg()[0] ?? 0),
    });
  }

  note(`pushing ${LAG_PUSH_BYTES / MIB} MiB with the pageserver streaming`);
  // (2) Lag during a full-speed push, with the pageserver streaming.
  const lagBytes: number[] = [];
  let latestCommit = commitLsn;
  let pushing = true;
  const sampler = (async () => {
    while (pushing) {
      const doc = await pageserver.timeline(timeline.tenantId, timeline.timelineId);
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

  // The disk's fdatasync latency and write rates in this run (preallocated, as the safekeeper
  // writes, and growing, as the pageserver's segments do).
  const disk = await measureDiskFacts(dir);
  const streamedMiB = Number(commitLsn - startLsn) / MIB;
  const pageserverMiBps = median(rounds.map((entry) => entry.pageserverMiBps));
  const receivewalMiBps = median(rounds.map((entry) => entry.pgReceivewalMiBps));
  const ratio = round2(pageserverMiBps / receivewalMiBps);
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'streaming a timeline out of one safekeeper: pageserver vs pg_receivewal',
      streamedMiB: round(streamedMiB),
      pageserverMiBps: round(pageserverMiBps),
      baseline: 'pg_receivewal --slot (PostgreSQL 15), same safekeeper, same end',
      pgReceivewalMiBps: round(receivewalMiBps),
      rounds,
      pageCacheWarmedMiB: round(warmedMiB),
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
        ...disk,
        node: process.version,
      },
    })}\n`,
  );
});
