// Wake-ups on writes to a file (a daemon's log), through fs.watch (inotify): the readiness wait
// probes when a daemon has logged something instead of at every short interval. Only a hint:
// readiness is still the probe's answer, and without a working watch the waits fall back to it.
import { watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';

/** How often a wait ends when the watch has failed: the plain polling interval. */
const FALLBACK_WAKE_MS = 25;
/** What scanForText reads at a time. */
const SCAN_CHUNK_BYTES = 16 * 1024;

export interface FileWrites {
  /** True while writes are watched (else the caller should poll at its short interval). */
  readonly watching: boolean;
  /** Aborts at the next write, or is already aborted when one came since the last call. */
  nextWrite(): AbortSignal;
  close(): void;
}

export function watchFileWrites(path: string): FileWrites {
  let pending = new AbortController();
  let watcher: FSWatcher | undefined;
  const stopWatching = (): void => {
    watcher?.close();
    watcher = undefined;
    pending.abort();
  };
  try {
    watcher = watch(path, { persistent: false }, () => pending.abort());
    watcher.on('error', stopWatching);
  } catch {
    watcher = undefined;
  }
  return {
    get watching() {
      return watcher !== undefined;
    },
    nextWrite() {
      if (watcher === undefined) return AbortSignal.timeout(FALLBACK_WAKE_MS);
      const current = pending.signal;
      if (current.aborted) pending = new AbortController();
      return current;
    },
    close: () => {
      watcher?.close();
      watcher = undefined;
    },
  };
}

/** Whether a file has been given a text since some offset, read on demand. */
export interface TextScan {
  /** True once the text is in what was written after the offset (reads only the new bytes). */
  found(): Promise<boolean>;
}

/**
 * A scan of `path` from `offset` on for `text` (ASCII): each call reads what was appended since
 * the last one, keeping the end of the previous read so that a text cut across two writes counts.
 * An unreadable file is "not found"; the caller's other means (its polling) still hold.
 */
export function scanForText(path: string, offset: number, text: string): TextScan {
  let position = offset;
  let carry = '';
  const buffer = Buffer.alloc(SCAN_CHUNK_BYTES);
  let seen = false;
  return {
    async found() {
      if (seen) return true;
      let handle;
      try {
        handle = await open(path, 'r');
        for (;;) {
          const { bytesRead } = await handle.read({ buffer, position });
          if (bytesRead === 0) break;
          position += bytesRead;
          const window = carry + buffer.toString('latin1', 0, bytesRead);
          if (window.includes(text)) return (seen = true);
          carry = window.slice(-(text.length - 1));
        }
      } catch {
        return false;
      } finally {
        await handle?.close();
      }
      return false;
    },
  };
}
