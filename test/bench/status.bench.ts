// `neon_local status --json` on a running 3-safekeeper cluster against `node -e 0`, measured
// alternately in the same run and the same environment. Target: at most 2x. The CLI runs as an
// executable, as `neon_local` on PATH does (see bin/run.js's first line); the notes give
// `node -e 0` with and without NODE_EXTRA_CA_CERTS, and the CPU time the hypervisor stole meanwhile
// (warm-ups included).
import { CLI } from '../helpers/cli.js';
import {
  alternate,
  median,
  readCpuTicks,
  report,
  round,
  startupNotes,
  stealPercentSince,
  timeCommandMs,
  withBenchCluster,
} from './bench-helpers.js';
import { measureDiskFacts } from './fsync-baselines.js';

const RUNS = 20;
// 8: the first CLI exits after a build rewrite the code cache (see start.bench.ts).
const WARMUPS = 8;

await withBenchCluster(false, async ({ cluster, dir, env }) => {
  await cluster.start();
  const subject = (): number => timeCommandMs(CLI, ['status', '--json'], env);
  const baseline = (): number => timeCommandMs(process.execPath, ['-e', '0'], env);
  const ticksBefore = readCpuTicks();
  const { subjectMs, baselineMs } = alternate(subject, baseline, RUNS, WARMUPS);
  const cpuStealPercent = stealPercentSince(ticksBefore);
  report({
    benchmark: 'status --json on a running 3-safekeeper cluster',
    runs: RUNS,
    subjectMedianMs: round(median(subjectMs)),
    baseline: 'node -e 0',
    baselineMedianMs: round(median(baselineMs)),
    targetRatio: 2,
    notes: { ...startupNotes(env), disk: await measureDiskFacts(dir), cpuStealPercent },
  });
});
