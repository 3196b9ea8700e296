// The "operation in progress" fuse (ARCHITECTURE §5): counts the operations of an object that
// are in flight (a WAL write, a control-file persist) so that tearing the object down while one
// runs is an assertion failure naming the operation, never a silent drop of the write.
import { assert } from '../common/assert.js';

export class OperationFuse {
  private readonly inFlight = new Map<string, number>();

  /** `what` names the object in the assertion message, e.g. "WAL storage of <dir>". */
  constructor(private readonly what: string) {}

  /** Counts `name` as in flight; pair every call with `leave(name)` in a finally. */
  enter(name: string): void {
    this.inFlight.set(name, (this.inFlight.get(name) ?? 0) + 1);
  }

  leave(name: string): void {
    const left = this.inFlight.get(name);
    assert(left !== undefined, () => `${this.what}: ${name} left without entering`);
    if (left === 1) this.inFlight.delete(name);
    else this.inFlight.set(name, left - 1);
  }

  /** Runs `operation` counted as `name` until it settles. */
  async run<T>(name: string, operation: () => Promise<T>): Promise<T> {
    this.enter(name);
    try {
      return await operation();
    } finally {
      this.leave(name);
    }
  }

  get isIdle(): boolean {
    return this.inFlight.size === 0;
  }

  /** Fails loudly when anything is in flight: `teardown` names what was attempted. */
  assertIdle(teardown: string): void {
    assert(this.inFlight.size === 0, () => {
      const running = [...this.inFlight.entries()].map(([name, count]) =>
        count === 1 ? name : `${name} x${count}`,
      );
      return `${teardown} of ${this.what} while ${running.join(', ')} in progress`;
    });
  }
}
