// What a safekeeper keeps on disk, as one comparable value: every directory and every file's
// SHA-256 under the data dir, by relative path. Left out are the files of the running process,
// not of its state: the pid file (rewritten by every start) and the lock file (flock target).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LOCK_FILE, PID_FILE } from '../../src/safekeeper/main.js';

export const SNAPSHOT_EXCLUDED_FILES: readonly string[] = [PID_FILE, LOCK_FILE];

/** Relative path -> 'dir' or the file's SHA-256 (hex), sorted by path. */
export async function snapshotDataDir(dataDir: string): Promise<Map<string, string>> {
  const entries = await readdir(dataDir, { recursive: true, withFileTypes: true });
  const snapshot = new Map<string, string>();
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    const name = relative(dataDir, path);
    if (SNAPSHOT_EXCLUDED_FILES.includes(name)) continue;
    if (entry.isDirectory()) snapshot.set(name, 'dir');
    else
      snapshot.set(
        name,
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      );
  }
  return new Map([...snapshot].sort(([a], [b]) => a.localeCompare(b)));
}
