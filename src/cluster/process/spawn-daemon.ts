// Starts a long-running child detached from the CLI: its own session, stdout and stderr appended
// to its log file, a minimal environment (no NODE_EXTRA_CA_CERTS: it costs every Node child
// ~40 ms and none of ours needs extra CAs), and nothing that keeps the CLI's event loop alive.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../private-files.js';

/** Variables passed through from the CLI's environment to every child. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'] as const;

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Extra variables (credentials, settings); merged over the minimal inherited set. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly logFile: string;
}

export function minimalEnv(extra: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

export interface SpawnedDaemon {
  readonly pid: number;
  /** Resolves with a description once the child exits (whenever that is). */
  readonly exited: Promise<string>;
  readonly child: ChildProcess;
}

export function spawnDaemon(spec: LaunchSpec): Promise<SpawnedDaemon> {
  const logFd = openSync(spec.logFile, 'a', PRIVATE_FILE_MODE);
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: minimalEnv(spec.env),
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    return new Promise((resolve, reject) => {
      child.once('error', (error) => reject(error));
      child.once('spawn', () => {
        child.unref();
        const exited = new Promise<string>((resolveExit) =>
          child.once('exit', (code, signal) =>
            resolveExit(signal === null ? `exited with code ${code}` : `was killed by ${signal}`),
          ),
        );
        const pid = child.pid;
        if (pid === undefined) reject(new Error(`${spec.command} started without a pid`));
        else resolve({ pid, exited, child });
      });
    });
  } finally {
    closeSync(logFd);
  }
}
