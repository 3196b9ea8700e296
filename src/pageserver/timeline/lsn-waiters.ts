// Waits on one timeline's positions (received, durable, uploaded) for the HTTP wait route: a
// waiter is settled by the first check() that finds its position at or past its target, or by
// its signal. check() runs after every change of a position (every frame received), so with no
// waiter it is one comparison; at most LSN_WAITERS_MAX wait at once.
import { AppError } from '../../common/errors.js';
import type { Lsn } from '../../postgres/lsn.js';

export type TimelinePositionName = 'received_lsn' | 'durable_lsn' | 'uploaded_lsn';

export const TIMELINE_POSITION_NAMES: readonly TimelinePositionName[] = [
  'received_lsn',
  'durable_lsn',
  'uploaded_lsn',
];

/** Waits open at once on one timeline (each is one HTTP request). */
export const LSN_WAITERS_MAX = 64;

interface Waiter {
  readonly name: TimelinePositionName;
  readonly targetLsn: Lsn;
  readonly resolve: () => void;
}

export class LsnWaiters {
  readonly #waiters = new Set<Waiter>();
  readonly #positionOf: (name: TimelinePositionName) => Lsn;

  constructor(positionOf: (name: TimelinePositionName) => Lsn) {
    this.#positionOf = positionOf;
  }

  /** Resolves true once `name` reaches `targetLsn`, false when `signal` aborts first. */
  wait(name: TimelinePositionName, targetLsn: Lsn, signal: AbortSignal): Promise<boolean> {
    if (this.#positionOf(name) >= targetLsn) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    if (this.#waiters.size >= LSN_WAITERS_MAX)
      return Promise.reject(
        new AppError('unavailable', `too many waits on this timeline (${LSN_WAITERS_MAX})`),
      );
    return new Promise((resolve) => {
      const waiter: Waiter = {
        name,
        targetLsn,
        resolve: () => {
          this.#waiters.delete(waiter);
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Settles every waiter whose position has reached its target. */
  check(): void {
    if (this.#waiters.size === 0) return;
    for (const waiter of [...this.#waiters])
      if (this.#positionOf(waiter.name) >= waiter.targetLsn) waiter.resolve();
  }
}
