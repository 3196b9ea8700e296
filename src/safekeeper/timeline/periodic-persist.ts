// The opportunistic control-file persist loop (neon-reference §1.5), a supervised task: every
// check period each timeline persists if its save interval has passed and an in-memory LSN
// advanced; the loop's shape (rounds never pile up, a failure is a warning) is runTimelineRounds'.
import type { Logger } from '../../common/log.js';
import type { Timeline } from './timeline.js';
import { runTimelineRounds } from './timeline-rounds.js';

const PERIODIC_PERSIST_CHECK_MAX_MS = 5000;

/** What the loop needs of the registry. */
export interface PersistableTimelines {
  loadedTimelines(): Iterable<Pick<Timeline, 'dir' | 'maybePersistPeriodically'>>;
}

export function runPeriodicPersist(
  timelines: PersistableTimelines,
  saveIntervalMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  return runTimelineRounds(
    {
      timelines: () => timelines.loadedTimelines(),
      periodMs: Math.min(saveIntervalMs, PERIODIC_PERSIST_CHECK_MAX_MS),
      visit: async (timeline) => {
        if (await timeline.maybePersistPeriodically())
          log.debug({ dir: timeline.dir }, 'control file persisted periodically');
      },
      failure: 'periodic persist failed',
    },
    log,
    signal,
  );
}
