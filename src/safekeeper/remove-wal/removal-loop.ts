// The WAL removal loop (neon-reference §2.6), a supervised task: every interval it visits each
// loaded timeline and removes the segments below its horizon. Unlike neon it visits every
// timeline, not only "active" ones: a timeline loaded after a restart with no compute attached
// is trimmed too. A failure on one timeline is logged and the loop goes on; a round that finds
// nothing to do touches no file (the horizon is computed in memory). Ends when `signal` aborts,
// after the timeline in flight.
import { sleepMs } from '../../common/deadline.js';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Timeline } from '../timeline/timeline.js';

/** What the loop needs of the registry. */
export interface RemovableTimelines {
  loadedTimelines(): Iterable<Pick<Timeline, 'dir' | 'removeWalBelowHorizon'>>;
}

export async function runWalRemoval(
  timelines: RemovableTimelines,
  intervalMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const aborted = (): boolean => signal.aborted;
  for (;;) {
    await sleepMs(intervalMs, signal);
    if (aborted()) return;
    for (const timeline of timelines.loadedTimelines()) {
      if (aborted()) return;
      try {
        await timeline.removeWalBelowHorizon();
      } catch (error) {
        log.warn({ dir: timeline.dir, err: describeError(error) }, 'WAL removal failed');
      }
    }
  }
}
