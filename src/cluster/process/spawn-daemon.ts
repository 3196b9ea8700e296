// Starts a long-running child detached from the CLI: its own session, stdout and stderr appended
// to its log file, a minimal environment, and nothing that keeps the CLI's event loop alive.
// NODE_EXTRA_CA_CERTS is handed on only to a daemon that talks TLS (extraCaCertsEnv): Node 20
// reads the file at every start, 30-40 ms of CPU, which a daemon on plain loopback HTTP never uses.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync } from 'node:fs';
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

/**
 * NODE_EXTRA_CA_CERTS from the CLI's environment when one of the URLs a daemon talks to is https
 * (a remote storage or broker endpoint): its private CA stays trusted there. Otherwise nothing.
 */
export function extraCaCertsEnv(
  urls: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (file === undefined || file === '' || !urls.some((url) => url.startsWith('https:'))) return {};
  return { NODE_EXTRA_CA_CERTS: file };
}

export interface SpawnedDaemon {
  readonly pid: number;
  /** Resolves with a description once the child exits (whenever that is). */
  readonly exited: Promise<string>;
  readonly child: ChildProcess;
  /** Where the log file ended before the spawn: what the daemon writes begins here. */
  readonly logOffset: number;
}

export function spawnDaemon(spec: LaunchSpec): Promise<SpawnedDaemon> {
  const logFd = openSync(spec.logFile, 'a', PRIVATE_FILE_MODE);
  try {
    const logOffset = fstatSync(logFd).size;
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
        else resolve({ pid, exited, child, logOffset });
      });
    });
  } finally {
    closeSync(logFd);
  }
}
