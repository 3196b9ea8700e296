// Real safekeeper daemons for benchmarks: started on free loopback ports with fsync on (never
// --no-sync; the start-up log line is checked to prove it), timelines deleted between
// measurements, and stopped at the end. It measures nothing itself.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil } from '../../src/common/deadline.js';
import { findFreePort, LOOPBACK_HOST } from '../../src/cluster/process/ports.js';
import type { AcceptorEndpoint } from '../../src/walproposer/acceptor-link.js';
import { startDaemon, waitStatus, type Daemon } from '../helpers/safekeeper.js';
import { randomPortBelowEphemeral } from '../helpers/ports.js';

const STARTUP_LOG_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const FAILURE_LEVELS: ReadonlySet<string> = new Set(['error', 'fatal']);

export interface BenchSafekeeper {
  readonly id: number;
  readonly dataDir: string;
  readonly pgPort: number;
  readonly httpPort: number;
  readonly daemon: Daemon;
}

interface LogLine {
  readonly level?: string;
  readonly msg?: string;
  readonly noSync?: boolean;
}

function logLines(daemon: Daemon): LogLine[] {
  return daemon
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

async function startOne(id: number, dataDir: string, taken: Set<number>): Promise<BenchSafekeeper> {
  const httpPort = await findFreePort(randomPortBelowEphemeral(100), taken);
  taken.add(httpPort);
  const pgPort = await findFreePort(httpPort + 1, taken);
  taken.add(pgPort);
  await mkdir(dataDir, { recursive: true });
  const daemon = startDaemon([
    '-D',
    dataDir,
    '--id',
    String(id),
    '--listen-pg',
    `${LOOPBACK_HOST}:${pgPort}`,
    '--listen-http',
    `${LOOPBACK_HOST}:${httpPort}`,
  ]);
  const safekeeper = { id, dataDir, pgPort, httpPort, daemon };
  try {
    if ((await waitStatus(httpPort)) === undefined)
      throw new Error(`safekeeper ${id} did not answer /v1/status:\n${daemon.output()}`);
    const started = await pollUntil(
      () => Promise.resolve(logLines(daemon).find((line) => line.msg === 'safekeeper started')),
      { timeoutMs: STARTUP_LOG_TIMEOUT_MS, intervalMs: 25 },
    );
    if (started?.noSync !== false)
      throw new Error(`safekeeper ${id} does not run with fsync on:\n${daemon.output()}`);
  } catch (error) {
    daemon.child.kill('SIGKILL');
    throw error;
  }
  return safekeeper;
}

/** Starts `count` safekeepers (ids 1..count) with data dirs `<dir>/sk<id>`. */
export async function startBenchSafekeepers(
  dir: string,
  count: number,
): Promise<BenchSafekeeper[]> {
  const taken = new Set<number>();
  const started: BenchSafekeeper[] = [];
  try {
    for (let id = 1; id <= count; id++)
      started.push(await startOne(id, join(dir, `sk${id}`), taken));
  } catch (error) {
    await stopBenchSafekeepers(started);
    throw error;
  }
  return started;
}

/** SIGTERM (a graceful stop), then SIGKILL for any that did not exit in time. */
export async function stopBenchSafekeepers(safekeepers: readonly BenchSafekeeper[]): Promise<void> {
  await Promise.all(
    safekeepers.map(async ({ daemon }) => {
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
      daemon.child.kill('SIGTERM');
      const timer = setTimeout(() => daemon.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await daemon.exited;
      clearTimeout(timer);
    }),
  );
}

export function endpointsOf(safekeepers: readonly BenchSafekeeper[]): AcceptorEndpoint[] {
  return safekeepers.map(({ id, pgPort }) => ({ id, host: LOOPBACK_HOST, port: pgPort }));
}

/** Removes a measured timeline everywhere, so that the next one starts on an equal footing. */
export async function deleteTimeline(
  safekeepers: readonly BenchSafekeeper[],
  tenantId: string,
  timelineId: string,
): Promise<void> {
  await Promise.all(
    safekeepers.map(async ({ id, httpPort }) => {
      const url = `http://${LOOPBACK_HOST}:${httpPort}/v1/tenant/${tenantId}/timeline/${timelineId}`;
      const response = await fetch(url, { method: 'DELETE' });
      if (!response.ok)
        throw new Error(`safekeeper ${id}: DELETE timeline answered ${response.status}`);
      await response.body?.cancel();
    }),
  );
}

/** ERROR lines the daemons logged (a benchmark of a misbehaving daemon is not a result). */
export function daemonErrors(safekeepers: readonly BenchSafekeeper[]): string[] {
  return safekeepers.flatMap(({ id, daemon }) =>
    logLines(daemon)
      .filter((line) => FAILURE_LEVELS.has(line.level ?? ''))
      .map((line) => `safekeeper ${id}: ${line.msg ?? JSON.stringify(line)}`),
  );
}
