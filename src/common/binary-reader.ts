// Bounds-checked reading of binary layouts, for every decoder in the tree: the control file's
// bincode-style body and the walproposer protocol (little-endian), the PostgreSQL wire messages
// and the pageserver feedback (big-endian). A read past the end throws an AppError naming the
// message and the field (integrity by default, usage for what a peer sent), never a RangeError.
// It never copies: byte runs are views of the input.
import { AppError, type ErrorCode } from './errors.js';

const NUL = 0;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decoding; `what` names the text in the error (AppError 'usage'). */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new AppError('usage', `${what} is not valid UTF-8`, { cause: error });
  }
}

/**
 * A field's name for error messages. Readers run per message on hot paths: a name that has to be
 * built (from a key read off the wire, say) is passed as a function and built only on failure.
 */
export type FieldName = string | (() => string);

function nameOf(field: FieldName): string {
  return typeof field === 'string' ? field : field();
}

export class BinaryReader {
  private offset = 0;
  private readonly bytes: Buffer;

  /**
   * `what` prefixes every error message, e.g. "malformed VoteRequest" (built only on failure);
   * `errorCode` is 'integrity' for our own files, 'usage' for what a peer sent.
   */
  constructor(
    bytes: Uint8Array,
    private readonly what: FieldName,
    private readonly errorCode: ErrorCode = 'integrity',
  ) {
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remainingBytes(): number {
    return this.bytes.length - this.offset;
  }

  /** The reader's error, `<what>: <problem>`, for checks the decoders make themselves. */
  error(problem: string): AppError {
    return new AppError(this.errorCode, `${nameOf(this.what)}: ${problem}`);
  }

  /** Throws the reader's error. */
  fail(problem: string): never {
    throw this.error(problem);
  }

  private take(length: number, field: FieldName): number {
    if (length > this.remainingBytes) {
      this.fail(
        `truncated at byte ${this.offset} while reading ${nameOf(field)} ` +
          `(needs ${length} bytes, ${this.remainingBytes} left)`,
      );
    }
    const at = this.offset;
    this.offset += length;
    return at;
  }

  u8(field: FieldName): number {
    return this.bytes.readUInt8(this.take(1, field));
  }

  i16BE(field: FieldName): number {
    return this.bytes.readInt16BE(this.take(2, field));
  }

  u32(field: FieldName): number {
    return this.bytes.readUInt32LE(this.take(4, field));
  }

  i32BE(field: FieldName): number {
    return this.bytes.readInt32BE(this.take(4, field));
  }

  u64(field: FieldName): bigint {
    return this.bytes.readBigUInt64LE(this.take(8, field));
  }

  u64BE(field: FieldName): bigint {
    return this.bytes.readBigUInt64BE(this.take(8, field));
  }

  i64(field: FieldName): bigint {
    return this.bytes.readBigInt64LE(this.take(8, field));
  }

  i64BE(field: FieldName): bigint {
    return this.bytes.readBigInt64BE(this.take(8, field));
  }

  /** `length` raw bytes as a view of the input (no copy). */
  bytesView(length: number, field: FieldName): Buffer {
    const at = this.take(length, field);
    return this.bytes.subarray(at, at + length);
  }

  /** Everything after the cursor (possibly empty), as a view. */
  rest(): Buffer {
    return this.bytesView(this.remainingBytes, 'rest');
  }

  skip(length: number, field: FieldName): void {
    this.take(length, field);
  }

  /** A NUL-terminated string (latin1); the NUL is consumed and not returned. */
  cString(field: FieldName): string {
    return this.cStringBytes(field).toString('latin1');
  }

  /** A NUL-terminated string that must be valid UTF-8 (the PostgreSQL wire's strings). */
  cStringUtf8(field: FieldName): string {
    return decodeUtf8(this.cStringBytes(field), `${nameOf(this.what)} ${nameOf(field)}`);
  }

  /** The bytes of a NUL-terminated string, as a view; the NUL is consumed and not returned. */
  cStringBytes(field: FieldName): Buffer {
    if (this.remainingBytes === 0) this.take(1, field);
    const end = this.bytes.indexOf(NUL, this.offset);
    if (end === -1) this.fail(`${nameOf(field)} at byte ${this.offset} has no terminating NUL`);
    const bytes = this.bytes.subarray(this.offset, end);
    this.offset = end + 1;
    return bytes;
  }

  /** A u64 count, refused above `max` (a corrupt count must not drive a huge loop). */
  count(field: FieldName, max: number): number {
    const count = this.u64(field);
    if (count > BigInt(max)) this.fail(`${nameOf(field)} count ${count} exceeds ${max}`);
    return Number(count);
  }

  /** A u32 count of `entryBytes`-sized entries, refused if the rest of the input cannot hold them. */
  u32Count(field: FieldName, entryBytes: number): number {
    const count = this.u32(field);
    const neededBytes = count * entryBytes;
    if (neededBytes > this.remainingBytes) {
      this.fail(
        `${nameOf(field)} count ${count} needs ${neededBytes} bytes but only ${this.remainingBytes} remain`,
      );
    }
    return count;
  }

  /** A u64-length-prefixed string that must match `pattern`. */
  string(field: FieldName, maxLength: number, pattern: RegExp): string {
    const length = this.count(() => `${nameOf(field)} length`, maxLength);
    const at = this.take(length, field);
    const text = this.bytes.toString('latin1', at, at + length);
    if (!pattern.test(text)) this.fail(`${nameOf(field)} "${text}" is malformed`);
    return text;
  }

  /** Refuses anything left after the last field (`lastField` names it in the error). */
  expectEnd(lastField = 'the last field'): void {
    if (this.remainingBytes !== 0) {
      this.fail(`${this.remainingBytes} unexpected bytes after ${lastField}`);
    }
  }
}
