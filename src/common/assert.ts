// Invariant checks that fail loudly. Use for conditions that only a bug can violate; bad input
// gets an AppError instead.

export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

/**
 * Throws AssertionError unless `condition` holds. A message that interpolates values is passed
 * as a function: asserts sit on hot paths, and the text is only needed when one fails.
 */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'string' ? message : message());
}
