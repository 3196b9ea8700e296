// Socket reads into one buffer shared by every connection of the process that opts in (net's
// `onread`): a read's bytes are framed and used before any socket is read again (the callback
// runs right after its read), so nothing is allocated per read. What a read leaves unframed, the
// start of the next frame, is copied into the connection's own carry buffer. It must not be used
// by a consumer that keeps a frame after its callback returns.

/** The shared buffer: at most this much is read from a socket at once. */
export const SHARED_READ_BUFFER_BYTES = 1024 * 1024;

let sharedBuffer: Buffer | undefined;

export function sharedReadBuffer(): Buffer {
  sharedBuffer ??= Buffer.allocUnsafeSlow(SHARED_READ_BUFFER_BYTES);
  return sharedBuffer;
}

/** One connection's unframed bytes between reads; dropped when a read leaves none. */
export class CarryBuffer {
  #buffer: Buffer | undefined;

  /** Copies `rest` (which may be a view of this carry) to the carry's start; returns that view. */
  keep(rest: Uint8Array): Uint8Array {
    if (rest.length === 0) {
      this.#buffer = undefined;
      return rest;
    }
    if (this.#buffer === undefined || this.#buffer.length < rest.length)
      this.#buffer = Buffer.allocUnsafe(Math.max(rest.length, 2 * (this.#buffer?.length ?? 0)));
    // set() copies as if through a temporary when `rest` overlaps the carry.
    this.#buffer.set(rest, 0);
    return this.#buffer.subarray(0, rest.length);
  }
}
