// Makes a file's or directory's current state durable by path: open read-only, fsync, close.
// Used after renames (the directory entry) and for files written through another handle.
import { open } from 'node:fs/promises';

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
