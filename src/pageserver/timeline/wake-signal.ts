// A wait that something else may end early: the receive loop waits on it between attempts, and
// discovery (a new round) or a state change wakes it. At most one waiter at a time.

export class WakeSignal {
  #wakeUp: (() => void) | undefined;

  /** Resolves after `timeoutMs`, at wake(), or when `signal` aborts, whichever comes first. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.#wakeUp = done;
    });
  }

  wake(): void {
    this.#wakeUp?.();
  }
}
