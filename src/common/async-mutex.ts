// A FIFO async mutex: `run(fn)` waits for every earlier holder, then runs fn alone. Used for the
// per-timeline lock that is held across disk writes and control-file persists (never across
// network waits). Not re-entrant: calling run() from inside run() of the same mutex deadlocks.

const settled = (): void => undefined;

export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(settled, settled);
    return result;
  }
}
