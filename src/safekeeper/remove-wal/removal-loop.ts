// The WAL removal loop (neon-reference §2.6), a supervised task: every interval it visits each
// loaded timeline and removes the segments below its horizon. Unlike neon it visits every
// timeline, not only "active" ones: a timeline loaded after a restart with no compute attached
// is trimmed too. A failure on one timeline is logged and the loop goes on; a round that finds
// nothing to do touches no file (the horizon is computed in memory). The loop's shape is
// runTimelineRounds'.
import type { Logger } from '../../common/log.js';
import type { Timeline } from '../timeline/timeline.js';
import { runTimelineRounds } from '../timeline/timeline-rounds.js';

/** What the loop needs of the registry. */
export interface RemovableTimelines {
  loadedTimelines(): Iterable<Pick<Timeline, 'dir' | 'removeWalBelowHorizon'>>;
}

export function runWalRemoval(
  timelines: RemovableTimelines,
  intervalMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  return runTimelineRounds(
    {
      timelines: () => timelines.loadedTimelines(),
      periodMs: intervalMs,
      visit: async (timeline) => {
        await timeline.removeWalBelowHorizon();
      },
      failure: 'WAL removal failed',
    },
    log,
    signal,
  );
}
