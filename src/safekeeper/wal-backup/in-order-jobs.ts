// Bounded parallelism with completion in order: up to `jobs` items run at once, and `onDone` is
// called for item k only after it and every item before it finished, in the items' order (so
// backup_lsn advances contiguously). The first failure stops new starts, aborts the ones in
// flight and is rethrown once they have settled; items after a failed one never complete.

export interface InOrderJobsOptions<T> {
  readonly items: readonly T[];
  /** At least 1. */
  readonly jobs: number;
  readonly run: (item: T, signal: AbortSignal) => Promise<void>;
  /** Called in order; its failure stops the run like a job's. */
  readonly onDone: (item: T) => Promise<void>;
  readonly signal: AbortSignal;
}

export async function runInOrder<T>(options: InOrderJobsOptions<T>): Promise<void> {
  const { items, run, onDone } = options;
  const jobs = Math.max(1, Math.floor(options.jobs));
  const controller = new AbortController();
  const stopOnAbort = (): void => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', stopOnAbort, { once: true });
  const running = new Map<number, Promise<void>>();
  let failure: { error: unknown } | undefined;
  let next = 0;
  const start = (index: number): void => {
    const item = items[index] as T;
    const done = run(item, controller.signal);
    // Each job's promise is awaited below, in order; a failure is also seen here at once.
    const settled = done.catch((error: unknown) => {
      failure ??= { error };
      controller.abort(error);
      throw error;
    });
    // A later job may fail while an earlier one is awaited: that is no unhandled rejection.
    settled.catch(() => undefined);
    running.set(index, settled);
  };
  try {
    for (let completed = 0; completed < items.length; completed++) {
      while (failure === undefined && !controller.signal.aborted && next < items.length) {
        if (next - completed >= jobs) break;
        start(next++);
      }
      const current = running.get(completed);
      if (current === undefined) break;
      await current;
      running.delete(completed);
      await onDone(items[completed] as T);
    }
  } catch (error) {
    failure ??= { error };
    controller.abort(error);
  } finally {
    options.signal.removeEventListener('abort', stopOnAbort);
    await Promise.allSettled(running.values());
  }
  if (failure !== undefined) throw failure.error;
  if (options.signal.aborted) throw abortError(options.signal);
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
