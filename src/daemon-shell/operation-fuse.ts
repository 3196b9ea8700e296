// The "operation in progress" fuse (ARCHITECTURE §5): counts the operations of an object that
// are in flight (a WAL write, a control-file persist) so that tearing the object down while one
// runs is an assertion failure naming the operation, never a silent drop of the write.
import { assert } from '../common/assert.js';

export class OperationFuse {
  /** The operations in flight, in the order they entered (a write, a flush: rarely more). */
  private readonly inFlight: string[] = [];

  /** `what` names the object in the assertion message, e.g. "WAL storage of <dir>". */
  constructor(private readonly what: string) {}

  /** Counts `name` as in flight; pair every call with `leave(name)` in a finally. */
  enter(name: string): void {
    this.inFlight.push(name);
  }

  leave(name: string): void {
    const at = this.inFlight.lastIndexOf(name);
    assert(at !== -1, () => `${this.what}: ${name} left without entering`);
    this.inFlight.splice(at, 1);
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

  /** Fails loudly when anything is in flight: `teardown` names what was attempted. */
  assertIdle(teardown: string): void {
    assert(this.inFlight.length === 0, () => {
      const counts = new Map<string, number>();
      for (const name of this.inFlight) counts.set(name, (counts.get(name) ?? 0) + 1);
      const running = [...counts].map(([name, count]) =>
        count === 1 ? name : `${name} x${count}`,
      );
      return `${teardown} of ${this.what} while ${running.join(', ')} in progress`;
    });
  }
}
