// PostgreSQL 15's own tools for integration tests: where they are, running them (as the postgres
// user when the tests run as root, since initdb and postgres refuse root), and a throwaway
// cluster in a temp dir that is always stopped and removed when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, chown, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { makeTempDir } from './temp-dir.js';

export const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';
const READY_TIMEOUT_MS = 15_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_SECONDS = 20;
const KILL_WAIT_MS = 5_000;
const RUN_AS_USER = 'postgres';

export interface ToolResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Fails (does not skip) when the tools are missing: CI installs them. */
export async function requirePgTools(): Promise<void> {
  for (const tool of ['initdb', 'postgres', 'pg_ctl', 'pg_isready', 'psql', 'pg_waldump']) {
    await access(join(PG_BIN_DIR, tool)).catch((error: unknown) => {
      throw new Error(`PostgreSQL 15 tool ${tool} is missing from ${PG_BIN_DIR}`, { cause: error });
    });
  }
}

function commandFor(tool: string, args: readonly string[]): [string, string[]] {
  const path = join(PG_BIN_DIR, tool);
  return isRoot() ? ['runuser', ['-u', RUN_AS_USER, '--', path, ...args]] : [path, [...args]];
}

export function spawnPgTool(tool: string, args: readonly string[], cwd: string): ChildProcess {
  const [command, commandArgs] = commandFor(tool, args);
  return spawn(command, commandArgs, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a tool to completion and collects its output (whatever its exit code). */
export function runPgTool(tool: string, args: readonly string[], cwd: string): Promise<ToolResult> {
  const child = spawnPgTool(tool, args, cwd);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({
        exitCode: code ?? (signal === null ? -1 : 128),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
  const result = await new Promise<string>((resolve, reject) => {
    const child = spawn('id', [flag, RUN_AS_USER], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error('no postgres user')),
    );
  });
  return Number.parseInt(result.trim(), 10);
}

/** As root: gives `dir` to the postgres user and lets it traverse every parent directory. */
export async function handOverDir(dir: string): Promise<void> {
  if (!isRoot()) return;
  await chown(dir, await idOf('-u'), await idOf('-g'));
  for (let parent = dirname(dir); parent !== dirname(parent); parent = dirname(parent)) {
    const mode = (await stat(parent)).mode;
    if ((mode & 0o001) === 0) await chmod(parent, mode | 0o001);
  }
}

/** A free loopback TCP port, chosen by the kernel. */
export function findEphemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ThrowawayCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly port: number;
  /** Runs SQL with psql (ON_ERROR_STOP); throws with psql's stderr on failure. */
  psql(sql: string): Promise<string>;
  /** pg_ctl stop -m fast; idempotent. */
  stop(): Promise<void>;
}

async function expectOk(result: Promise<ToolResult>, what: string): Promise<ToolResult> {
  const done = await result;
  if (done.exitCode !== 0) {
    throw new Error(`${what} failed with exit code ${done.exitCode}: ${done.stderr}`);
  }
  return done;
}

interface ServerState {
  server?: ChildProcess;
  stopped: boolean;
}

/** initdb + postgres in a temp dir; `settings` are extra -c options for the server. */
export async function startThrowawayCluster(
  t: TestContext,
  initdbArgs: readonly string[],
  settings: readonly string[],
): Promise<ThrowawayCluster> {
  await requirePgTools();
  const dir = await makeTempDir(undefined, 'neon-local-pg-');
  const dataDir = join(dir, 'data');
  const state: ServerState = { stopped: false };
  const stop = () => stopServer(state, dataDir, dir);
  // One hook, in order: stop the server, then remove its directory.
  t.after(async () => {
    await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  await handOverDir(dir);
  const initdb = ['-D', dataDir, '--auth=trust', '--no-sync', '--locale=C', ...initdbArgs];
  await expectOk(runPgTool('initdb', initdb, dir), 'initdb');
  const port = await findEphemeralPort();
  await launchServer(state, { dataDir, socketDir: dir, port, settings });
  const psql = async (sql: string): Promise<string> => {
    const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port)];
    const sqlArgs = [...args, '-d', 'postgres', '-c', sql];
    return (await expectOk(runPgTool('psql', sqlArgs, dir), 'psql')).stdout;
  };
  return { dir, dataDir, socketDir: dir, port, psql, stop };
}

async function launchServer(
  state: ServerState,
  options: { dataDir: string; socketDir: string; port: number; settings: readonly string[] },
): Promise<void> {
  const { dataDir, socketDir, port } = options;
  const args = ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses='];
  for (const setting of options.settings) args.push('-c', setting);
  const server = spawnPgTool('postgres', args, socketDir);
  state.server = server;
  const serverLog: string[] = [];
  server.stdout?.on('data', (chunk: Buffer) => serverLog.push(chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => serverLog.push(chunk.toString()));
  const ready = await pollUntil(
    async () => {
      const probe = await runPgTool('pg_isready', ['-h', socketDir, '-p', String(port)], socketDir);
      return probe.exitCode === 0 ? true : undefined;
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: READY_POLL_MS },
  );
  if (ready !== true) throw new Error(`postgres did not become ready: ${serverLog.join('')}`);
}

async function stopServer(state: ServerState, dataDir: string, cwd: string): Promise<void> {
  const server = state.server;
  if (state.stopped || server === undefined) return;
  state.stopped = true;
  const args = ['stop', '-m', 'fast', '-w', '-t', String(STOP_TIMEOUT_SECONDS), '-D', dataDir];
  const result = await runPgTool('pg_ctl', args, cwd);
  if (result.exitCode !== 0) await killPostmaster(dataDir, server);
}

/** Last resort when pg_ctl could not stop the server: the postmaster pid from its pid file. */
async function killPostmaster(dataDir: string, server: ChildProcess): Promise<void> {
  const hasExited = () => server.exitCode !== null || server.signalCode !== null;
  // runuser (or postgres itself) lives as long as the postmaster: when it is gone, the pid
  // file is stale and its pid may be someone else's.
  if (hasExited()) return;
  const pidText = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(pidText.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
  server.kill('SIGKILL');
  await pollUntil(() => Promise.resolve(hasExited() ? true : undefined), {
    timeoutMs: KILL_WAIT_MS,
    intervalMs: READY_POLL_MS,
  });
}
