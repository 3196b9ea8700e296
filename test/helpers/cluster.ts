// Test clusters: an initialised repo dir in a temp dir, on ports far from the defaults, stopped
// (immediately) and checked for unexpected ERROR log lines when the test ends.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { DEFAULT_PORTS } from '../../src/cluster/init.js';
import { LocalCluster } from '../../src/index.js';
import { makeTempDir } from './temp-dir.js';
import { runCliJson } from './cli.js';
import { randomPortBelowEphemeral } from './ports.js';

/** Safekeepers past the first take the default ports after theirs. */
const SAFEKEEPER_PORT_ROOM = 100;

/**
 * An offset that keeps every default port (DEFAULT_PORTS, and the further safekeepers' after
 * them) below the kernel's ephemeral range, so no client socket can hold a port a test daemon
 * must bind.
 */
export function randomPortOffset(): number {
  return randomPortBelowEphemeral(Math.max(...Object.values(DEFAULT_PORTS)) + SAFEKEEPER_PORT_ROOM);
}

export interface TestClusterOptions {
  readonly safekeepers?: number;
  readonly init?: boolean;
  readonly extraInit?: Parameters<LocalCluster['init']>[0];
}

export async function makeTestCluster(
  t: TestContext,
  options: TestClusterOptions = {},
): Promise<LocalCluster> {
  // One hook, in this order: stop the cluster, then remove its directory (a removed config
  // would leave the processes running).
  const dir = await makeTempDir(undefined);
  const cluster = new LocalCluster(join(dir, 'repo'));
  t.after(async () => {
    await cluster.stop('immediate').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  if (options.init !== false) {
    await cluster.init({
      safekeeperCount: options.safekeepers ?? 3,
      portOffset: randomPortOffset(),
      sync: false,
      ...options.extraInit,
    });
  }
  return cluster;
}

/** Fails if a safekeeper logged at level error (unexpected in a healthy test). */
export async function assertNoErrorLogs(cluster: LocalCluster): Promise<void> {
  const config = await cluster.loadConfig();
  for (const sk of config.safekeepers) {
    const text = await readFile(cluster.layout.safekeeper(sk.id).logFile, 'utf8').catch(() => '');
    const errors = text.split('\n').filter((line) => line.includes('"level":"error"'));
    assert.deepEqual(errors, [], `safekeeper ${sk.id} logged errors`);
  }
}

/** Pids of live processes whose argv mentions `needle` (e.g. the repo dir), and `program` if given. */
export async function pidsMentioning(needle: string, program?: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const matchesProgram =
      program === undefined ||
      cmdline.split('\0').some((arg) => arg.endsWith(`/${program}`) || arg === program);
    if (cmdline.includes(needle) && matchesProgram && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** `sk timeline create` through the CLI with given ids (1 MiB segments unless told), exit 0. */
export async function createTimelineCli(
  repoDir: string,
  tenantId: string,
  timelineId: string,
  segmentSize = '1MiB',
): Promise<void> {
  const created = await runCliJson(
    [
      'sk',
      'timeline',
      'create',
      '--tenant-id',
      tenantId,
      '--timeline-id',
      timelineId,
      '--wal-seg-size',
      segmentSize,
    ],
    { repoDir },
  );
  assert.equal(created.exitCode, 0, JSON.stringify(created.body));
}

/** SIGKILLs the process whose pid a component's pid file holds (etcd, the S3 server, a daemon). */
export async function killByPidFile(path: string): Promise<void> {
  process.kill(Number((await readFile(path, 'utf8')).trim()), 'SIGKILL');
}

/**
 * What a peer's broker message would tell safekeeper `id` about TENANT/TIMELINE (the test-only
 * POST /v1/record_safekeeper_info route; the cluster runs with `testing: true`), e.g.
 * `{ remote_consistent_lsn: '0/300000' }`.
 */
export async function recordSafekeeperInfo(
  cluster: LocalCluster,
  id: number,
  ref: { readonly tenant: string; readonly timeline: string },
  body: Readonly<Record<string, string>>,
): Promise<void> {
  const config = await cluster.loadConfig();
  const sk = config.safekeepers.find((entry) => entry.id === id);
  assert.ok(sk, `safekeeper ${id} in the config`);
  const response = await fetch(
    `http://127.0.0.1:${sk.httpPort}/v1/record_safekeeper_info/${ref.tenant}/${ref.timeline}`,
    { method: 'POST', body: JSON.stringify(body) },
  );
  assert.equal(response.status, 200, await response.text());
}
