// Waits on a timeline's change events for the offload task: the next change, and a signal that
// aborts when the timeline closes. Event-driven only; nothing here polls.
import { LSN_MAX } from '../../postgres/lsn.js';
import type { Timeline } from '../timeline/timeline.js';

/** An AbortSignal that aborts when the timeline closes (or `signal` aborts). */
export function untilClosed(timeline: Timeline, signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  // An LSN that is never reached: the wait ends only by the abort or the timeline's close.
  timeline.events.waitFor('flushLsn', LSN_MAX, signal).catch((error: unknown) => {
    controller.abort(error instanceof Error ? error : new Error('timeline closed'));
  });
  return controller.signal;
}

/** Resolves at the timeline's next change event, or when `signal` aborts. */
export function nextChange(timeline: Timeline, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      unsubscribe();
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const unsubscribe = timeline.events.subscribe(finish);
    if (signal.aborted) finish();
    else signal.addEventListener('abort', finish, { once: true });
  });
}
