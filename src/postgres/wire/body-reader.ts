// A bounds-checked cursor over one message body for the decoders: big-endian integers,
// NUL-terminated UTF-8 strings and byte runs. Every failure is an AppError('usage') naming the
// message and the field. It never copies: byte runs are views of the body.
import { AppError } from '../../common/errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decoding; `what` names the text in the error. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new AppError('usage', `${what} is not valid UTF-8`, { cause: error });
  }
}

export class BodyReader {
  readonly #body: Buffer;
  /** The message name used in errors, e.g. "DataRow". */
  readonly #what: string;
  #offset = 0;

  constructor(body: Uint8Array, what: string) {
    this.#body = Buffer.from(body.buffer, body.byteOffset, body.length);
    this.#what = what;
  }

  get remainingBytes(): number {
    return this.#body.length - this.#offset;
  }

  readUInt8(field: string): number {
    this.#need(1, field);
    return this.#body.readUInt8(this.#advance(1));
  }

  readInt16(field: string): number {
    this.#need(2, field);
    return this.#body.readInt16BE(this.#advance(2));
  }

  readInt32(field: string): number {
    this.#need(4, field);
    return this.#body.readInt32BE(this.#advance(4));
  }

  readUInt64(field: string): bigint {
    this.#need(8, field);
    return this.#body.readBigUInt64BE(this.#advance(8));
  }

  readInt64(field: string): bigint {
    this.#need(8, field);
    return this.#body.readBigInt64BE(this.#advance(8));
  }

  readBytes(count: number, field: string): Buffer {
    this.#need(count, field);
    const start = this.#advance(count);
    return this.#body.subarray(start, start + count);
  }

  /** Everything after the cursor (possibly empty). */
  readRest(): Buffer {
    return this.readBytes(this.remainingBytes, 'rest');
  }

  readCString(field: string): string {
    const end = this.#body.indexOf(0, this.#offset);
    if (end === -1) {
      throw this.error(`${field} at offset ${this.#offset} has no NUL terminator`);
    }
    const text = this.#body.subarray(this.#offset, end);
    this.#offset = end + 1;
    return decodeUtf8(text, `${this.#what} ${field}`);
  }

  /** Fails unless the whole body was read; `field` names the last thing expected. */
  expectEnd(field: string): void {
    if (this.remainingBytes !== 0) {
      throw this.error(`${this.remainingBytes} unexpected bytes after ${field}`);
    }
  }

  #need(count: number, field: string): void {
    if (count > this.remainingBytes) {
      throw this.error(
        `${field} needs ${count} bytes at offset ${this.#offset}, only ${this.remainingBytes} left`,
      );
    }
  }

  #advance(count: number): number {
    const start = this.#offset;
    this.#offset += count;
    return start;
  }

  /** An AppError('usage') about this message, also for checks made by the decoders. */
  error(reason: string): AppError {
    return new AppError('usage', `malformed ${this.#what}: ${reason}`);
  }
}
