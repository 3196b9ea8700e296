// The waits of a walproposer's callers (elected, room for more WAL, commit reached, commit
// announced): each is a condition re-checked whenever the proposer says something changed. A
// failure rejects every wait, a close rejects the waits whose condition does not hold. Knows
// nothing of what the conditions mean; it never changes the proposer's state.
import { AppError } from '../common/errors.js';

type Check = () => void;

export class ProposerWaiters {
  private readonly checks = new Set<Check>();
  private failure: AppError | undefined;
  private closed = false;

  /**
   * Resolves when `done()` holds; rejects with the failure once the proposer failed, when closed
   * (unless `done()` holds), or at `deadlineMs` (epoch ms) with `timeoutError()` or a plain
   * timed-out error.
   */
  until(
    done: () => boolean,
    deadlineMs: number,
    timeoutError: () => AppError | undefined,
  ): Promise<void> {
    // The common case on every batch: nothing to wait for, so no timer and no closures.
    if (this.failure === undefined && done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.failure !== undefined) finish(this.failure);
        else if (done()) finish(undefined);
        else if (this.closed) finish(new AppError('wrong-state', 'the walproposer was closed'));
      };
      const timer = setTimeout(
        () => finish(timeoutError() ?? new AppError('timed-out', 'timed out')),
        Math.max(0, deadlineMs - Date.now()),
      );
      const finish = (error: AppError | undefined): void => {
        clearTimeout(timer);
        this.checks.delete(check);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.checks.add(check);
      check();
    });
  }

  /** Re-checks every wait (something they may depend on changed). */
  wake(): void {
    // A check that finishes deletes only itself, which a Set's iteration allows; the
    // resolutions run later, as microtasks, so no wait is added while this loop runs.
    for (const check of this.checks) check();
  }

  /** Rejects every wait, now and later, with `error` (the first failure is kept). */
  fail(error: AppError): void {
    if (this.failure === undefined) this.failure = error;
    this.wake();
  }

  /** Rejects every wait whose condition does not hold, now and later. */
  close(): void {
    this.closed = true;
    this.wake();
  }
}
