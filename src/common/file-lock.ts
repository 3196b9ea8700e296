// Exclusive advisory locks (flock(2)) on a file, held for as long as this process wants them.
// Node has no flock binding: we open the file and hand the descriptor to util-linux `flock`,
// which locks it and exits at once. The lock belongs to the open file description, which this
// process keeps open, so it is held until release() closes it, or until this process dies and
// the kernel closes it: a crashed holder never leaves a stale lock behind. Node opens files
// close-on-exec, so the daemons this process spawns never inherit the lock.
import { spawn } from 'node:child_process';
import { close, open } from 'node:fs';
import { promisify } from 'node:util';
import { AppError } from './errors.js';

// A plain descriptor, not a FileHandle: a FileHandle nobody references is closed by the garbage
// collector, which would drop the lock without a word.
const openFd = promisify(open);
const closeFd = promisify(close);

const FLOCK_BINARY = 'flock';
const LOCK_FILE_MODE = 0o600;
/** The descriptor number the lock file has in the flock child (stdin, stdout, stderr, then it). */
const CHILD_LOCK_FD = 3;
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

/** Runs `flock -x` on the descriptor: true when locked, false when held elsewhere. */
function lockDescriptor(fd: number, options: AcquireFileLockOptions): Promise<boolean> {
  const waitArgs = options.waitMs <= 0 ? ['-n'] : ['-w', (options.waitMs / 1000).toFixed(3)];
  const child = spawn(FLOCK_BINARY, ['-x', ...waitArgs, String(CHILD_LOCK_FD)], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
  });
  return new Promise<boolean>((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) =>
      reject(
        new AppError('unavailable', `could not run ${FLOCK_BINARY} to lock ${options.what}`, {
          cause: error,
        }),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === FLOCK_CONFLICT_EXIT_CODE) resolve(false);
      else
        reject(
          new AppError(
            'internal',
            `could not lock ${options.what}: ${stderr.trim() || `flock exited with ${code}`}`,
          ),
        );
    });
  });
}

export async function acquireFileLock(
  path: string,
  options: AcquireFileLockOptions,
): Promise<FileLock> {
  const fd = await openFd(path, 'a', LOCK_FILE_MODE);
  let acquired;
  try {
    acquired = await lockDescriptor(fd, options);
  } catch (error) {
    await closeFd(fd);
    throw error;
  }
  if (!acquired) {
    await closeFd(fd);
    throw new AppError('wrong-state', `${options.what} is locked by another process`, {
      hints: ['Wait for the other neon_local command to finish, then try again.'],
    });
  }
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      await closeFd(fd);
    },
  };
}
