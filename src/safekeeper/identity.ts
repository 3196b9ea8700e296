// The safekeeper's identity file `safekeeper.id` (decimal id, no newline). If it exists it is
// authoritative and a different --id is refused; if not, --id is required and is written
// durably before anything else happens.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../common/errors.js';
import { fsyncPath } from '../common/fsync-path.js';
import { isValidNodeId, type NodeId } from '../common/ids.js';

export const IDENTITY_FILE = 'safekeeper.id';

export async function establishIdentity(
  dataDir: string,
  requestedId: NodeId | undefined,
  sync: boolean,
): Promise<NodeId> {
  const path = join(dataDir, IDENTITY_FILE);
  let stored: string | undefined;
  try {
    stored = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stored !== undefined) {
    const id = /^\d+$/.test(stored.trim()) ? Number(stored.trim()) : Number.NaN;
    if (!isValidNodeId(id))
      throw new AppError(
        'integrity',
        `${path} holds "${stored.slice(0, 40)}", not a safekeeper id`,
      );
    if (requestedId !== undefined && requestedId !== id) {
      throw new AppError(
        'wrong-state',
        `safekeeper already initialized with id ${id}, can't set ${requestedId}`,
      );
    }
    return id;
  }
  if (requestedId === undefined)
    throw new AppError(
      'usage',
      `safekeeper id is not specified and ${path} does not exist: pass --id`,
    );
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(String(requestedId));
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
  if (sync) await fsyncPath(dataDir);
  return requestedId;
}
