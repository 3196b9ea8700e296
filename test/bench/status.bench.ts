// `neon_local status --json` on a running 3-safekeeper cluster against `node -e 0`, measured
// alternately in the same run and the same environment. Target: at most 3x.
import { rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../src/index.js';
import { CLI } from '../helpers/cli.js';
import { randomPortOffset } from '../helpers/cluster.js';
import { median, report, round, timeCommandMs } from './bench-helpers.js';

const RUNS = 20;
const WARMUPS = 3;

const dir = await mkdtemp(join(tmpdir(), 'neon-local-bench-'));
const cluster = new LocalCluster(join(dir, 'repo'));
try {
  await cluster.init({
    safekeeperCount: 3,
    portOffset: randomPortOffset(),
    sync: false,
    remoteStorage: 'embedded',
  });
  await cluster.start();
  const env: NodeJS.ProcessEnv = { ...process.env, NEON_REPO_DIR: cluster.repoDir };
  const subject = (): number => timeCommandMs(process.execPath, [CLI, 'status', '--json'], env);
  const baseline = (): number => timeCommandMs(process.execPath, ['-e', '0'], env);
  for (let index = 0; index < WARMUPS; index++) {
    subject();
    baseline();
  }
  const subjectMs: number[] = [];
  const baselineMs: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    subjectMs.push(subject());
    baselineMs.push(baseline());
  }
  report({
    benchmark: 'status --json on a running 3-safekeeper cluster',
    runs: RUNS,
    subjectMedianMs: round(median(subjectMs)),
    baseline: 'node -e 0',
    baselineMedianMs: round(median(baselineMs)),
    targetRatio: 3,
    notes: { nodeExtraCaCerts: env.NODE_EXTRA_CA_CERTS !== undefined, node: process.version },
  });
} finally {
  await cluster.stop('immediate').catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
