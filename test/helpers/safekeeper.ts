// The safekeeper daemon as a real child process for tests: started with neon's flags on free
// loopback ports, its output captured, killed when the test ends.
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { findFreePort } from '../../src/cluster/process/ports.js';
import { PROJECT_ROOT } from './cli.js';
import { randomPortBelowEphemeral } from './ports.js';

export const SAFEKEEPER = join(PROJECT_ROOT, 'bin', 'safekeeper.js');

export interface Daemon {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startDaemon(args: readonly string[]): Daemon {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    [SAFEKEEPER, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

export async function waitStatus(httpPort: number): Promise<unknown> {
  return pollUntil(
    async () => {
      try {
        return await (await fetch(`http://127.0.0.1:${httpPort}/v1/status`)).json();
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 10_000, intervalMs: 25 },
  );
}

export interface RunningSafekeeper extends Daemon {
  readonly dataDir: string;
  readonly httpPort: number;
  readonly pgPort: number;
  readonly url: string;
}

/** Starts a safekeeper on free ports (killed with SIGKILL when the test ends) and waits for it. */
export async function startTestSafekeeper(
  t: Pick<TestContext, 'after'>,
  dataDir: string,
  extraArgs: readonly string[] = [],
): Promise<RunningSafekeeper> {
  const httpPort = await findFreePort(randomPortBelowEphemeral(100), new Set());
  const pgPort = await findFreePort(httpPort + 1, new Set([httpPort]));
  const daemon = startDaemon([
    '-D',
    dataDir,
    '--id',
    '1',
    '--listen-pg',
    `127.0.0.1:${pgPort}`,
    '--listen-http',
    `127.0.0.1:${httpPort}`,
    ...extraArgs,
  ]);
  t.after(() => daemon.child.kill('SIGKILL'));
  await waitStatus(httpPort);
  return { ...daemon, dataDir, httpPort, pgPort, url: `http://127.0.0.1:${httpPort}` };
}
