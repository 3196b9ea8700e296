// The opportunistic control-file persist loop (neon-reference §1.5): every check period, each
// timeline persists if its save interval has passed and any in-memory LSN advanced. Errors are
// logged as warnings and the loop goes on. Returns a stopper that waits for a round in flight.
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { TimelineRegistry } from './timeline-registry.js';

const PERIODIC_PERSIST_CHECK_MAX_MS = 5000;

export function startPeriodicPersist(
  timelines: TimelineRegistry,
  saveIntervalMs: number,
  log: Logger,
): () => Promise<void> {
  const checkEveryMs = Math.min(saveIntervalMs, PERIODIC_PERSIST_CHECK_MAX_MS);
  let round: Promise<void> = Promise.resolve();
  const runRound = async (): Promise<void> => {
    for (const timeline of timelines.loadedTimelines()) {
      try {
        if (await timeline.maybePersistPeriodically())
          log.debug({ dir: timeline.dir }, 'control file persisted periodically');
      } catch (error) {
        log.warn({ dir: timeline.dir, err: describeError(error) }, 'periodic persist failed');
      }
    }
  };
  const timer = setInterval(() => {
    round = round.then(runRound);
  }, checkEveryMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await round;
  };
}
