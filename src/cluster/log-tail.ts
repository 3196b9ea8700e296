// Reading the end of a component's log file without loading all of it.
import { open } from 'node:fs/promises';

const TAIL_CHUNK_BYTES = 64 * 1024;
const TAIL_READ_MAX_BYTES = 16 * 1024 * 1024;

/** The last `lineCount` lines of a file; [] when the file does not exist. */
export async function readLogTail(path: string, lineCount: number): Promise<string[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = (await handle.stat()).size;
    let start = size;
    let text = '';
    while (start > 0 && size - start < TAIL_READ_MAX_BYTES) {
      const length = Math.min(TAIL_CHUNK_BYTES, start);
      start -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, start);
      text = buffer.toString('utf8') + text;
      if (text.split('\n').length > lineCount + 1) break;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-lineCount);
  } finally {
    await handle.close();
  }
}
