// `neon_local start` (etcd, embedded S3, 3 safekeepers, the pageserver) to all-ready, against
// etcd alone started with the same flags to a healthy /health, alternately in the same run. Both restart on an
// existing data dir after a first warm-up start. Target: at most 2x. The cluster has no timelines
// (a new one, as after `init`); the median with one timeline is printed beside. The CLI runs as an
// executable, as `neon_local` on PATH does, so its first line applies (see bin/run.js). The CPU
// time stolen by the hypervisor during the timed runs is printed beside (`cpuStealPercent`), and
// the CPU the processes spent until all were ready (`daemonsCpuAtReadyMedianMs`, `cliCpuMeanMs`).
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { etcdArgs, probeEtcdHealth } from '../../src/cluster/components/etcd.js';
import { stopProcess } from '../../src/cluster/process/stop-process.js';
import { pollUntil } from '../../src/common/deadline.js';
import type { LocalCluster } from '../../src/index.js';
import { CLI } from '../helpers/cli.js';
import {
  median,
  processCpuMs,
  readCpuTicks,
  report,
  round,
  startupNotes,
  stealPercentSince,
  timeCommand,
  timeCommandMs,
  waitedChildrenCpuMs,
  withBenchCluster,
} from './bench-helpers.js';
import { measureDiskFacts } from './fsync-baselines.js';

// etcd alone waits out a randomised election timeout on every restart (128-220 ms measured): the
// median of 7 pairs moved the ratio by 0.5 between benches, so 15 pairs; every run is printed.
const RUNS = 15;
const TIMELINE_RUNS = 5;
// After a build, the first 8 CLI processes to exit rewrite the V8 code cache with what they ran
// (WARM_WRITES in scripts/vendor-loader.cjs), about 10-20 ms of CPU each at exit: a one-off after
// an install, so the warm-up starts take all of them and the timed runs are the steady state.
const WARMUP_STARTS = 8;

/**
 * The CPU the cluster's processes have used so far, from the pids in `start --json`'s document;
 * undefined when one of them cannot be read.
 */
function daemonsCpuAtReadyMs(startJson: string): number | undefined {
  const document = JSON.parse(startJson) as { result: { components: { pid: number | null }[] } };
  let totalMs = 0;
  for (const { pid } of document.result.components) {
    const cpuMs = pid === null ? undefined : processCpuMs(pid);
    if (cpuMs === undefined) return undefined;
    totalMs += cpuMs;
  }
  return totalMs;
}

async function timeEtcdAloneMs(cluster: LocalCluster, dataDir: string): Promise<number> {
  const config = await cluster.loadConfig();
  const begunAt = process.hrtime.bigint();
  const child = spawn(config.etcd.binary, etcdArgs(config, dataDir), { stdio: 'ignore' });
  const ready = await pollUntil(
    async () =>
      (await probeEtcdHealth(`http://127.0.0.1:${config.etcd.clientPort}`, 500)).ready
        ? true
        : undefined,
    { timeoutMs: 10_000, intervalMs: 5 },
  );
  const elapsedMs = Number(process.hrtime.bigint() - begunAt) / 1e6;
  await stopProcess(child.pid!, 'fast');
  if (ready !== true) throw new Error('etcd alone did not become healthy');
  return elapsedMs;
}

await withBenchCluster(true, async ({ cluster, dir, env }) => {
  const etcdDataDir = join(dir, 'etcd-alone');
  await mkdir(etcdDataDir);
  await timeEtcdAloneMs(cluster, etcdDataDir);
  for (let index = 0; index < WARMUP_STARTS; index++) {
    timeCommandMs(CLI, ['start', '--json'], env);
    await cluster.stop();
  }
  const ticksBefore = readCpuTicks();
  const startMs: number[] = [];
  const etcdMs: number[] = [];
  const cpu = { cliMs: 0, cliRuns: 0, daemonsMs: [] as number[] };
  for (let index = 0; index < RUNS; index++) {
    etcdMs.push(await timeEtcdAloneMs(cluster, etcdDataDir));
    const cliCpuBefore = waitedChildrenCpuMs();
    const { elapsedMs, stdout } = timeCommand(CLI, ['start', '--json'], env);
    const daemonsCpuMs = daemonsCpuAtReadyMs(stdout);
    const cliCpuAfter = waitedChildrenCpuMs();
    startMs.push(elapsedMs);
    if (daemonsCpuMs !== undefined) cpu.daemonsMs.push(daemonsCpuMs);
    if (cliCpuBefore !== undefined && cliCpuAfter !== undefined) {
      cpu.cliMs += cliCpuAfter - cliCpuBefore;
      cpu.cliRuns++;
    }
    await cluster.stop();
  }
  const cpuStealPercent = stealPercentSince(ticksBefore);
  // Not the target's figure, but what a restart of a used cluster costs: a safekeeper with a
  // timeline loads etcd3 for its broker at once, one without leaves etcd alone.
  timeCommandMs(CLI, ['start', '--json'], env);
  await cluster.createTimeline({});
  await cluster.stop();
  const withTimelineMs: number[] = [];
  for (let index = 0; index < TIMELINE_RUNS; index++) {
    withTimelineMs.push(timeCommandMs(CLI, ['start', '--json'], env));
    await cluster.stop();
  }
  report({
    benchmark: 'start (etcd + embedded S3 + 3 safekeepers + pageserver) to all-ready',
    runs: RUNS,
    subjectMedianMs: round(median(startMs)),
    baseline: 'etcd alone (same flags) to /health',
    baselineMedianMs: round(median(etcdMs)),
    targetRatio: 2,
    notes: {
      ...startupNotes(env),
      disk: await measureDiskFacts(dir),
      cpuStealPercent,
      // CPU spent until all were ready: the daemons (etcd's included) read from /proc at once
      // after `start` returned, and the CLI itself (a mean: /proc counts it in 10 ms steps).
      daemonsCpuAtReadyMedianMs: cpu.daemonsMs.length > 0 ? round(median(cpu.daemonsMs)) : null,
      cliCpuMeanMs: cpu.cliRuns > 0 ? round(cpu.cliMs / cpu.cliRuns) : null,
      startRunsMs: startMs.map(round),
      etcdAloneRunsMs: etcdMs.map(round),
      withOneTimelineMedianMs: round(median(withTimelineMs)),
    },
  });
});
