// Exclusive advisory locks (flock(2)) on a file, held for as long as this process wants them.
// Node has no flock binding, so a small util-linux `flock` child takes the lock and keeps it
// until we close its stdin; if this process dies, the pipe closes and the kernel drops the lock,
// so a crashed holder never leaves a stale lock behind.
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { AppError } from './errors.js';

const FLOCK_BINARY = 'flock';
const LOCK_FILE_MODE = 0o600;
const LOCKED_MARKER = 'locked';
/** Exit status of flock(1) when -w expired or -n found the lock taken. */
const FLOCK_CONFLICT_EXIT_CODE = 1;

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

export async function acquireFileLock(
  path: string,
  options: AcquireFileLockOptions,
): Promise<FileLock> {
  // flock(1) would create the file with the umask's mode: it is made owner-only first.
  await (await open(path, 'a', LOCK_FILE_MODE)).close();
  const waitArgs = options.waitMs <= 0 ? ['-n'] : ['-w', (options.waitMs / 1000).toFixed(3)];
  const child = spawn(
    FLOCK_BINARY,
    ['-x', ...waitArgs, '-o', path, '-c', `echo ${LOCKED_MARKER}; exec cat >/dev/null`],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const acquired = await new Promise<boolean>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(LOCKED_MARKER)) resolve(true);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) =>
      reject(
        new AppError('unavailable', `could not run ${FLOCK_BINARY} to lock ${options.what}`, {
          cause: error,
        }),
      ),
    );
    child.on('exit', (code) => {
      if (code === FLOCK_CONFLICT_EXIT_CODE) resolve(false);
      else
        reject(
          new AppError(
            'internal',
            `could not lock ${options.what}: ${stderr.trim() || `flock exited with ${code}`}`,
          ),
        );
    });
  });
  if (!acquired) {
    throw new AppError('wrong-state', `${options.what} is locked by another process`, {
      hints: ['Wait for the other neon_local command to finish, then try again.'],
    });
  }
  // The lock must not keep this process alive, and must end with it.
  child.unref();
  child.stdout.destroy();
  child.stderr.destroy();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.ref(); // keep the event loop alive until the lock is really gone
      child.stdin.end();
      await exited;
    },
  };
}
