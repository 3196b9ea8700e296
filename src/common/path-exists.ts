// Whether a path exists. Only "no such file" means false; any other failure (permissions, I/O)
// is thrown, so that a broken disk is not mistaken for a missing file.
import { stat } from 'node:fs/promises';

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
