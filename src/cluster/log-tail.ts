// Reading the end of a component's log file without loading all of it, and the one text form of
// a failure that carries a log tail: the cause on the first line, then `last lines of FILE:`, then
// the raw lines (`--json` users see exactly this; the CLI splits it to render the lines).
import { open } from 'node:fs/promises';

const TAIL_CHUNK_BYTES = 64 * 1024;
const TAIL_READ_MAX_BYTES = 16 * 1024 * 1024;

/** The last `lineCount` lines of a file, a last line without newline too; [] when missing. */
export async function readLogTail(path: string, lineCount: number): Promise<string[]> {
  const tail = await readLogTailAt(path, lineCount);
  const lines = tail.unfinished === '' ? tail.lines : [...tail.lines, tail.unfinished];
  return lines.slice(-lineCount);
}

export interface LogTail {
  /** The last complete lines (a last line still being written is left out). */
  readonly lines: string[];
  /** The text after the last newline ('' when the file ends with one). */
  readonly unfinished: string;
  /** Where the file goes on after `lines`: a follower starts here, so no line falls in between. */
  readonly endOffset: number;
}

export async function readLogTailAt(path: string, lineCount: number): Promise<LogTail> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return { lines: [], unfinished: '', endOffset: 0 };
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
    // The text after the last newline: '' when the file ends with one, else a line in progress.
    const unfinished = lines.pop() ?? '';
    return {
      lines: lineCount === 0 ? [] : lines.slice(-lineCount),
      unfinished,
      endOffset: size - Buffer.byteLength(unfinished, 'utf8'),
    };
  } finally {
    await handle.close();
  }
}

const LOG_TAIL_HEADER = /^last lines of (.+):$/;
const EMPTY_LOG_TEXT = '(log is empty)';

/** `cause`, then the tail of `file`: the message of an error that shows a component's log. */
export function appendLogTail(cause: string, file: string, lines: readonly string[]): string {
  const body = lines.length === 0 ? EMPTY_LOG_TEXT : lines.join('\n');
  return `${cause}\nlast lines of ${file}:\n${body}`;
}

export interface SplitLogTail {
  readonly cause: string;
  readonly file: string;
  /** The raw log lines (or the one line saying that the log is empty). */
  readonly lines: readonly string[];
}

/** The parts of a message made by appendLogTail; undefined for any other message. */
export function splitLogTail(message: string): SplitLogTail | undefined {
  const [cause, header, ...lines] = message.split('\n');
  const file = header === undefined ? undefined : LOG_TAIL_HEADER.exec(header)?.[1];
  if (cause === undefined || file === undefined || lines.length === 0) return undefined;
  return { cause, file, lines };
}
