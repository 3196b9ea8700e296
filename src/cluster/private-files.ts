// The repo dir holds WAL, control files and credentials: it and everything in it are created
// owner-only (0700 directories, 0600 files, as PostgreSQL insists for its data directory), and
// a repo dir that other users can write is refused before anything runs in it.
import { mkdir, stat } from 'node:fs/promises';
import { AppError } from '../common/errors.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Group- and other-write bits: someone else could replace our files or binaries' arguments. */
const OTHERS_WRITE_BITS = 0o022;

/** Creates `path` (and missing parents) owner-only. */
export async function makePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Refuses a repo dir that others can write (wrong-state, exit 5), naming the fix. */
export async function checkRepoDirPrivacy(repoDir: string): Promise<void> {
  const mode = (await stat(repoDir)).mode & 0o777;
  if ((mode & OTHERS_WRITE_BITS) === 0) return;
  throw new AppError(
    'wrong-state',
    `repo dir ${repoDir} can be written by other users (mode ${mode.toString(8).padStart(4, '0')})`,
    { hints: [`Make it private with \`chmod 700 ${repoDir}\`, then start again.`] },
  );
}
