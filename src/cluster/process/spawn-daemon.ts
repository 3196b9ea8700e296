// Starts a long-running child detached from the CLI: its own session, stdout and stderr appended
// to its log file, a minimal environment, and nothing that keeps the CLI's event loop alive.
// NODE_EXTRA_CA_CERTS is handed on only to a daemon that talks TLS (extraCaCertsEnv): Node 20
// reads the file at every start, 30-40 ms of CPU, which a daemon on plain loopback HTTP never uses.
// A daemon of ours can also be handed the descriptor of its readiness notice (common/ready-notice.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  READY_FD_ENV,
  READY_NOTICE_FD,
  READY_NOTICE_MAX_BYTES,
} from '../../common/ready-notice.js';
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

/** The line a daemon sends when it is ready, read from our end of its notice descriptor. */
export interface ReadyNotice {
  /**
   * The line without its newline; undefined when the daemon closed the descriptor (or exited)
   * without one, sent more than READY_NOTICE_MAX_BYTES, or `close` came first.
   */
  readonly line: Promise<string | undefined>;
  /** Stops reading and closes our end (the daemon is not affected). */
  close(): void;
}

export interface SpawnedDaemon {
  readonly pid: number;
  /** Resolves with a description once the child exits (whenever that is). */
  readonly exited: Promise<string>;
  readonly child: ChildProcess;
  /** When the spawn asked for one. */
  readonly readyNotice: ReadyNotice | undefined;
}

export interface SpawnOptions {
  /** Hand the daemon a readiness notice descriptor (only our daemons send one). */
  readonly readyNotice?: boolean;
}

/** The first line that arrives on `stream`; its end, an error or `close` settle it too. */
export function readFirstLine(stream: Readable, maxBytes: number): ReadyNotice {
  let settle: (line: string | undefined) => void = () => undefined;
  const line = new Promise<string | undefined>((resolve) => {
    let text = '';
    let settled = false;
    settle = (value) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      resolve(value);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) settle(text.slice(0, end));
      else if (text.length > maxBytes) settle(undefined);
    });
    stream.once('end', () => settle(undefined));
    stream.once('close', () => settle(undefined));
    stream.once('error', () => settle(undefined));
  });
  return { line, close: () => settle(undefined) };
}

export function spawnDaemon(spec: LaunchSpec, options: SpawnOptions = {}): Promise<SpawnedDaemon> {
  const logFd = openSync(spec.logFile, 'a', PRIVATE_FILE_MODE);
  try {
    const notice = options.readyNotice === true;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: minimalEnv({
        ...spec.env,
        ...(notice && { [READY_FD_ENV]: String(READY_NOTICE_FD) }),
      }),
      detached: true,
      // Index READY_NOTICE_FD: a socket pair, whose other end the child inherits.
      stdio: ['ignore', logFd, logFd, ...(notice ? (['pipe'] as const) : [])],
    });
    const noticeStream = notice ? child.stdio[READY_NOTICE_FD] : undefined;
    const readyNotice = noticeStream
      ? readFirstLine(noticeStream as Readable, READY_NOTICE_MAX_BYTES)
      : undefined;
    return new Promise((resolve, reject) => {
      child.once('error', (error) => {
        readyNotice?.close();
        reject(error);
      });
      child.once('spawn', () => {
        child.unref();
        const exited = new Promise<string>((resolveExit) =>
          child.once('exit', (code, signal) =>
            resolveExit(signal === null ? `exited with code ${code}` : `was killed by ${signal}`),
          ),
        );
        const pid = child.pid;
        if (pid === undefined) reject(new Error(`${spec.command} started without a pid`));
        else resolve({ pid, exited, child, readyNotice });
      });
    });
  } finally {
    closeSync(logFd);
  }
}
