// Run by bin/setup after a build: takes a throw-away cluster, in a temporary repo dir on ports
// 20000 above the defaults, through the commands of a first session (init, start, a timeline, a
// little WAL, status, a restart, stop), so that the V8 code caches in dist/bundle hold what the
// CLI and the daemons compile on those paths. After a build each cache holds only what loading
// its bundle compiled, and the first WARM_WRITES processes to exit rewrite it with what they ran
// (scripts/vendor-loader.cjs): without this, a newcomer's first commands pay both. Measured: the
// first `start` after a build 365 ms, the following ones about 300 ms (test/bench/README.md).
//
// Never fails bin/setup: if a step fails, it says which, and the commands only start slower. The
// cluster is stopped and the directory removed in every case.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'run.js');
// Below the ephemeral range (32768 and up), so no outgoing connection takes one of them meanwhile.
// `--port-offset N` chooses another (the tests do).
const DEFAULT_PORT_OFFSET = 20000;
const STEP_TIMEOUT_MS = 60_000;

const { values: options } = parseArgs({
  options: { 'port-offset': { type: 'string', default: String(DEFAULT_PORT_OFFSET) } },
});
const repoDir = mkdtempSync(join(tmpdir(), 'neon-local-warm-'));
const tenant = randomBytes(16).toString('hex');
const timeline = randomBytes(16).toString('hex');
const env = { ...process.env, NEON_REPO_DIR: repoDir };
delete env.NEON_LOCAL_COLD_CODE_CACHE;

/** Runs one CLI command; why it failed (`neon_local ARGS`: how), or undefined. */
function run(args) {
  const result = spawnSync(cli, args, { env, encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  const command = `\`neon_local ${args.join(' ')}\``;
  if (result.error) return `${command}: ${result.error.message}`;
  if (result.status === 0) return undefined;
  const firstLine = result.stderr.trim().split('\n')[0] ?? '';
  const how =
    result.status === null ? `was killed by ${result.signal}` : `exited with code ${result.status}`;
  return `${command}: ${how}: ${firstLine}`;
}

const steps = [
  ['init', '--port-offset', options['port-offset']],
  ['start'],
  ['sk', 'timeline', 'create', '--tenant-id', tenant, '--timeline-id', timeline],
  ['wal', 'push', `${tenant}/${timeline}`, '--size', '1MiB'],
  ['status'],
  ['stop'],
  // With a timeline, the safekeepers load the etcd client at start.
  ['start'],
  ['sk', 'timeline', 'list'],
  ['stop'],
];

let failure;
try {
  for (const step of steps) {
    failure = run(step);
    if (failure !== undefined) break;
  }
} finally {
  if (failure !== undefined) run(['stop', '--mode', 'immediate']);
  rmSync(repoDir, { recursive: true, force: true });
}
if (failure !== undefined) {
  console.error(`bin/setup: warming the code caches stopped at ${failure}`);
  console.error('bin/setup: nothing is wrong with the install; the first commands start slower');
}
