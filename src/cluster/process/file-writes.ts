// Wake-ups on writes to a file (a daemon's log), through fs.watch (inotify): the readiness wait
// probes when a daemon has logged something instead of at every short interval. Only a hint:
// readiness is still the probe's answer, and without a working watch the waits fall back to it.
import { watch, type FSWatcher } from 'node:fs';

/** How often a wait ends when the watch has failed: the plain polling interval. */
const FALLBACK_WAKE_MS = 25;

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
