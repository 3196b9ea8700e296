// Change events of one timeline: subscribers are told, after the lock holder's step that made
// it so, when flush_lsn, commit_lsn, backup_lsn, peer_horizon_lsn or remote_consistent_lsn
// advanced (walsenders wait for commit_lsn, the broker publishes on change), and `waitFor`
// resolves once an LSN reaches a target. Nothing polls; nothing here touches the disk.
import { abortReason } from '../../common/deadline.js';
import { AppError } from '../../common/errors.js';
import type { Lsn } from '../../postgres/lsn.js';

export const TIMELINE_LSN_NAMES = [
  'flushLsn',
  'commitLsn',
  'backupLsn',
  'peerHorizonLsn',
  'remoteConsistentLsn',
] as const;
export type TimelineLsnName = (typeof TIMELINE_LSN_NAMES)[number];
export type TimelineLsns = Readonly<Record<TimelineLsnName, Lsn>>;

export interface TimelineChange {
  /** The LSNs that went up since the previous event (flush_lsn may also fall, on truncation). */
  readonly advanced: readonly TimelineLsnName[];
  readonly lsns: TimelineLsns;
}

export type TimelineListener = (change: TimelineChange) => void;

export class TimelineEvents {
  private readonly listeners = new Set<TimelineListener>();
  private readonly closeWaiters = new Set<(error: AppError) => void>();
  private closedError: AppError | undefined;

  private last: TimelineLsns;

  /** `current` reads the timeline's LSNs; it is called only while someone listens. */
  constructor(private readonly current: () => TimelineLsns) {
    this.last = current();
  }

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: TimelineListener): () => void {
    // While nobody listened, nothing was read: what advanced is measured from now on.
    if (this.listeners.size === 0) this.last = this.current();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * After a step that may have changed LSNs: tells the subscribers what advanced since the
   * last publish. Costs nothing while nobody listens (every append batch calls it).
   */
  publish(): void {
    if (this.listeners.size === 0) return;
    const previous = this.last;
    const current = this.current();
    this.last = current;
    let advanced: TimelineLsnName[] | undefined;
    for (const name of TIMELINE_LSN_NAMES)
      if (current[name] > previous[name]) (advanced ??= []).push(name);
    if (advanced === undefined) return;
    const change = { advanced, lsns: current };
    // A listener may unsubscribe (delete itself) while this runs, which a Set allows.
    for (const listener of this.listeners) listener(change);
  }

  /**
   * Resolves with the LSN once `name` is at least `atLeast`; rejects when `signal` aborts or the
   * timeline closes first.
   */
  waitFor(name: TimelineLsnName, atLeast: Lsn, signal?: AbortSignal): Promise<Lsn> {
    const now = this.current()[name];
    if (now >= atLeast) return Promise.resolve(now);
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        this.closeWaiters.delete(onClose);
      };
      const onAbort = (): void => {
        finish();
        reject(abortReason(signal));
      };
      const onClose = (error: AppError): void => {
        finish();
        reject(error);
      };
      const unsubscribe = this.subscribe((change) => {
        if (change.lsns[name] < atLeast) return;
        finish();
        resolve(change.lsns[name]);
      });
      this.closeWaiters.add(onClose);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The timeline closed: every waiter is rejected, and so is every later wait. */
  close(what: string): void {
    this.closedError = new AppError('wrong-state', `${what} is closed`);
    for (const onClose of [...this.closeWaiters]) onClose(this.closedError);
    this.listeners.clear();
  }
}
