// Exclusive locks on a file (the repo dir's .lock, a daemon's data dir lock), held for as long as
// this process wants them and dropped by the kernel when it dies, SIGKILL included. Node has no
// flock(2), so the lock is a Unix socket in Linux's abstract namespace, named after the file's
// device and inode: only one process at a time can bind a name, and the name is free again the
// moment its socket is closed. Nothing on disk can go stale, and no helper process is needed
// (flock(1) as a child cost a fork of the whole Node process and two execs, 5-8 ms of CPU per
// lock). The socket is close-on-exec, so the daemons `start` spawns never inherit the repo lock.
// The holder answers a connection with its pid, for the error message. Limits: abstract names
// belong to a network namespace (processes in different ones do not exclude each other), and a
// flock(1) on the file from outside does not see this lock.
import { writeFile, stat } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { sleepMs } from './deadline.js';
import { AppError, describeError } from './errors.js';

const LOCK_FILE_MODE = 0o600;
/** Between two attempts while waiting for a held lock. */
const RETRY_INTERVAL_MS = 20;
/** How long the holder gets to say its pid (a paused holder says nothing). */
const HOLDER_ANSWER_TIMEOUT_MS = 200;

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface AcquireFileLockOptions {
  /** 0 = fail at once when the lock is held; otherwise wait at most this long. */
  waitMs: number;
  /** Describes the holder for error messages ("repo dir /x", "safekeeper data dir /y"). */
  what: string;
}

/** The abstract socket name of the lock on `path`: the file's identity, not its name. */
async function lockName(path: string): Promise<string> {
  await writeFile(path, '', { flag: 'a', mode: LOCK_FILE_MODE });
  const { dev, ino } = await stat(path, { bigint: true });
  return `\0neon_local.lock.${dev.toString(16)}.${ino.toString(16)}`;
}

/** Binds the name: the lock's socket, or undefined while another process holds it. */
function bind(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.end(`${process.pid}\n`);
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(error);
    });
    server.listen({ path: name }, () => {
      // A held lock never keeps this process alive by itself.
      server.unref();
      resolve(server);
    });
  });
}

/** The pid the holder of the name answers with, if it answers in time. */
function holderPid(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = createConnection({ path: name });
    const done = (pid: number | undefined): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(HOLDER_ANSWER_TIMEOUT_MS, () => done(undefined));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => {
      const pid = Number.parseInt(answer, 10);
      done(Number.isSafeInteger(pid) && pid > 0 ? pid : undefined);
    });
    socket.on('error', () => done(undefined));
  });
}

export async function acquireFileLock(
  path: string,
  options: AcquireFileLockOptions,
): Promise<FileLock> {
  const begunAt = Date.now();
  let name;
  let server;
  try {
    name = await lockName(path);
    for (;;) {
      server = await bind(name);
      if (server !== undefined || Date.now() - begunAt >= options.waitMs) break;
      await sleepMs(Math.min(RETRY_INTERVAL_MS, options.waitMs - (Date.now() - begunAt)));
    }
  } catch (error) {
    throw new AppError('internal', `could not lock ${options.what}: ${describeError(error)}`, {
      cause: error,
    });
  }
  if (server === undefined) {
    const pid = await holderPid(name);
    throw new AppError(
      'wrong-state',
      `${options.what} is locked by another process${pid === undefined ? '' : ` (pid ${pid})`}`,
      { hints: ['Wait for the other neon_local command to finish, then try again.'] },
    );
  }
  const held = server;
  let released: Promise<void> | undefined;
  return {
    path,
    release: () =>
      (released ??= new Promise<void>((resolve) => {
        held.close(() => resolve());
      })),
  };
}
