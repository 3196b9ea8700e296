// The opportunistic control-file persist loop (neon-reference §1.5), a supervised task: every
// check period each timeline persists if its save interval has passed and an in-memory LSN
// advanced. A round still running when the next tick comes makes that tick skip (rounds never
// pile up); errors are logged as warnings and the loop goes on; it ends when `signal` aborts.
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Timeline } from './timeline.js';

const PERIODIC_PERSIST_CHECK_MAX_MS = 5000;

/** What the loop needs of the registry. */
export interface PersistableTimelines {
  loadedTimelines(): Iterable<Pick<Timeline, 'dir' | 'maybePersistPeriodically'>>;
}

export async function runPeriodicPersist(
  timelines: PersistableTimelines,
  saveIntervalMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const checkEveryMs = Math.min(saveIntervalMs, PERIODIC_PERSIST_CHECK_MAX_MS);
  const runRound = async (): Promise<void> => {
    for (const timeline of timelines.loadedTimelines()) {
      if (signal.aborted) return;
      try {
        if (await timeline.maybePersistPeriodically())
          log.debug({ dir: timeline.dir }, 'control file persisted periodically');
      } catch (error) {
        log.warn({ dir: timeline.dir, err: describeError(error) }, 'periodic persist failed');
      }
    }
  };
  let round: Promise<void> | undefined;
  let skippedTicks = 0;
  const timer = setInterval(() => {
    if (round !== undefined) {
      skippedTicks++;
      log.debug({ skippedTicks }, 'periodic persist tick skipped: the last round still runs');
      return;
    }
    round = runRound().finally(() => (round = undefined));
  }, checkEveryMs);
  try {
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    clearInterval(timer);
    await round;
  }
}
