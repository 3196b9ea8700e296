// The shape of the safekeeper's background loops over its timelines (periodic persist, WAL
// removal): every period, one round visits each loaded timeline in turn. The next period starts
// when a round ends, so a slow round makes ticks skip and rounds never pile up; a failure on one
// timeline is logged as a warning and the round goes on; the loop ends when `signal` aborts,
// after the timeline in flight.
import { sleepMs } from '../../common/deadline.js';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';

export interface TimelineRounds<T extends { readonly dir: string }> {
  readonly timelines: () => Iterable<T>;
  readonly periodMs: number;
  readonly visit: (timeline: T) => Promise<void>;
  /** The warning logged when a visit fails ("WAL removal failed"). */
  readonly failure: string;
}

export async function runTimelineRounds<T extends { readonly dir: string }>(
  rounds: TimelineRounds<T>,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  // A function, not a property read: the signal may abort during any await below.
  const aborted = (): boolean => signal.aborted;
  for (;;) {
    await sleepMs(rounds.periodMs, signal);
    if (aborted()) return;
    for (const timeline of rounds.timelines()) {
      if (aborted()) return;
      try {
        await rounds.visit(timeline);
      } catch (error) {
        log.warn({ dir: timeline.dir, err: describeError(error) }, rounds.failure);
      }
    }
  }
}
