// The opportunistic control-file persist loop (neon-reference §1.5), a supervised task: every
// check period each timeline persists if its save interval has passed and an in-memory LSN
// advanced. The next period starts when a round ends, so a slow round makes ticks skip and
// rounds never pile up; errors are logged as warnings and the loop goes on; it ends when
// `signal` aborts, after the round in flight.
import { sleepMs } from '../../common/deadline.js';
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
  // A function, not a property read: the signal may abort during any await below.
  const aborted = (): boolean => signal.aborted;
  for (;;) {
    await sleepMs(checkEveryMs, signal);
    if (aborted()) return;
    for (const timeline of timelines.loadedTimelines()) {
      if (aborted()) return;
      try {
        if (await timeline.maybePersistPeriodically())
          log.debug({ dir: timeline.dir }, 'control file persisted periodically');
      } catch (error) {
        log.warn({ dir: timeline.dir, err: describeError(error) }, 'periodic persist failed');
      }
    }
  }
}
