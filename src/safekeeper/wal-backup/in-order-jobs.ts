// Bounded parallelism with completion in order: at most `jobs` runs at once, started in the
// items' order as soon as a slot is free, but never more than `window` items past the first
// unfinished one (so a slow item holds back at most that many finished ones). `onDone` is
// called for item k only after it and every item before it finished, in the items' order (so
// backup_lsn advances contiguously). A run's result goes to its onDone: a run can hand over work
// that must end before the item completes but need not hold a slot (the offload's size check).
// Starting the next runs does not wait for onDone. The first failure stops new starts, aborts the
// ones in flight and is rethrown once they have settled; items after a failed one never complete.

import { abortReason } from '../../common/deadline.js';

export interface InOrderJobsOptions<T, R> {
  readonly items: readonly T[];
  /** Runs at once; at least 1. */
  readonly jobs: number;
  /** How far past the first unfinished item a run may start; at least `jobs` (the default: twice `jobs`). */
  readonly window?: number;
  readonly run: (item: T, signal: AbortSignal) => Promise<R>;
  /** Called in order, one at a time; its failure stops the run like a job's. */
  readonly onDone: (item: T, result: R) => Promise<void>;
  readonly signal: AbortSignal;
}

export async function runInOrder<T, R>(options: InOrderJobsOptions<T, R>): Promise<void> {
  const { items, run, onDone } = options;
  const jobs = Math.max(1, Math.floor(options.jobs));
  const window = Math.max(jobs, Math.floor(options.window ?? 2 * jobs));
  const controller = new AbortController();
  const stopOnAbort = (): void => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', stopOnAbort, { once: true });
  const running = new Map<number, Promise<R>>();
  const finished = new Set<number>();
  let failure: { error: unknown } | undefined;
  let next = 0;
  let inFlight = 0;
  // Items before `finishedBelow` all finished their runs.
  let finishedBelow = 0;
  const fill = (): void => {
    while (failure === undefined && !controller.signal.aborted && next < items.length) {
      if (inFlight >= jobs || next >= finishedBelow + window) return;
      start(next++);
    }
  };
  const start = (index: number): void => {
    inFlight++;
    const settled = run(items[index] as T, controller.signal).then(
      (result) => {
        inFlight--;
        finished.add(index);
        while (finished.delete(finishedBelow)) finishedBelow++;
        fill();
        return result;
      },
      (error: unknown) => {
        // Seen here at once, even while an earlier job is awaited below.
        failure ??= { error };
        controller.abort(error);
        throw error;
      },
    );
    // Each job's promise is awaited below, in order: a later one failing is no unhandled rejection.
    settled.catch(() => undefined);
    running.set(index, settled);
  };
  try {
    fill();
    for (let completed = 0; completed < items.length; completed++) {
      const current = running.get(completed);
      if (current === undefined) break;
      const result = await current;
      running.delete(completed);
      await onDone(items[completed] as T, result);
    }
  } catch (error) {
    failure ??= { error };
    controller.abort(error);
  } finally {
    options.signal.removeEventListener('abort', stopOnAbort);
    await Promise.allSettled(running.values());
  }
  if (failure !== undefined) throw failure.error;
  if (options.signal.aborted) throw abortReason(options.signal);
}
