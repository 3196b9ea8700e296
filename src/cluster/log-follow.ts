// Following log files as they grow (`logs --follow`), by polling their size. Handles files that
// do not exist yet and files that were truncated or replaced (reads from the start again).
import { open, stat } from 'node:fs/promises';
import { sleepMs } from '../common/deadline.js';

const FOLLOW_POLL_INTERVAL_MS = 200;
const FOLLOW_READ_MAX_BYTES = 1024 * 1024;

export interface FollowedFile {
  readonly name: string;
  readonly path: string;
  /** Where to start (where a tail printed before ended); default: the size now. */
  readonly fromOffset?: number;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/**
 * Calls onLine for each complete line after each file's `fromOffset` (or appended after the
 * call), until the signal aborts.
 */
export async function followLogs(
  files: readonly FollowedFile[],
  onLine: (name: string, line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  for (const file of files)
    offsets.set(file.path, file.fromOffset ?? (await sizeOf(file.path)) ?? 0);
  while (!signal.aborted) {
    for (const file of files) {
      const size = await sizeOf(file.path);
      let offset = offsets.get(file.path) ?? 0;
      if (size === undefined || size === offset) continue;
      if (size < offset) offset = 0;
      const length = Math.min(size - offset, FOLLOW_READ_MAX_BYTES);
      const handle = await open(file.path, 'r');
      const buffer = Buffer.alloc(length);
      try {
        await handle.read(buffer, 0, length, offset);
      } finally {
        await handle.close();
      }
      offsets.set(file.path, offset + length);
      const lines = ((partial.get(file.path) ?? '') + buffer.toString('utf8')).split('\n');
      partial.set(file.path, lines.pop() ?? '');
      for (const line of lines) onLine(file.name, line);
    }
    await sleepMs(FOLLOW_POLL_INTERVAL_MS, signal);
  }
}
