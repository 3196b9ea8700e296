// Wall-clock deadlines and bounded polling. Every wait in the project goes through here, so no
// wait is a loop count and every one has an upper bound.

/**
 * Resolves after `durationMs`, or at once when `signal` aborts (or has already aborted). The abort
 * listener lives only as long as the sleep, so a loop may sleep on one signal any number of times.
 */
export function sleepMs(durationMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, durationMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Why `signal` aborted, as an Error (its reason when that is one). */
export function abortReason(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : new Error('aborted');
}

export class Deadline {
  readonly atMs: number;

  constructor(durationMs: number) {
    this.atMs = Date.now() + durationMs;
  }

  remainingMs(): number {
    return Math.max(0, this.atMs - Date.now());
  }

  isExpired(): boolean {
    return Date.now() >= this.atMs;
  }
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
  /** Called before each sleep: the sleep also ends when the returned signal aborts. */
  wake?: () => AbortSignal;
  /** Sleep (or be woken) once before the first probe, which could not succeed yet. */
  sleepFirst?: boolean;
}

/**
 * Calls `probe` until it returns a value other than undefined or the deadline passes.
 * Returns undefined on timeout; the caller decides what a timeout means.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: PollOptions,
): Promise<T | undefined> {
  const deadline = new Deadline(options.timeoutMs);
  const pause = async (): Promise<void> => {
    const wake = options.wake?.();
    const signal =
      wake === undefined
        ? options.signal
        : options.signal === undefined
          ? wake
          : AbortSignal.any([options.signal, wake]);
    await sleepMs(Math.min(options.intervalMs, deadline.remainingMs()), signal);
  };
  if (options.sleepFirst === true) await pause();
  for (;;) {
    if (options.signal?.aborted) return undefined;
    const value = await probe();
    if (value !== undefined) return value;
    if (deadline.isExpired()) return undefined;
    await pause();
  }
}
