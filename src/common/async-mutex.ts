// A FIFO async mutex: `run(fn)` waits for every earlier holder, then runs fn alone. Used for the
// per-timeline lock that is held across disk writes and control-file persists (never across
// network waits). Not re-entrant: calling run() from inside run() of the same mutex deadlocks.

export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private holders = 0;

  get isLocked(): boolean {
    return this.holders > 0;
  }

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    this.holders++;
    const result = this.tail.then(fn);
    const release = (): void => {
      this.holders--;
    };
    this.tail = result.then(release, release);
    return result;
  }
}
