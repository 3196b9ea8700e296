// Bounds-checked reading and writing of fixed-width binary layouts: the control file's
// bincode-style body and the walproposer protocol messages (little-endian, with a few big-endian
// fields). A read past the end throws an AppError (integrity by default), never a RangeError, so
// truncated or crafted input is reported cleanly; a value that does not fit its width is a bug.
import { assert } from '../../common/assert.js';
import { AppError, type ErrorCode } from '../../common/errors.js';

const U8_MAX = 0xff;
const U32_MAX = 0xffff_ffff;
const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;
const U64_MAX = 0xffff_ffff_ffff_ffffn;
const I64_MIN = -0x8000_0000_0000_0000n;
const I64_MAX = 0x7fff_ffff_ffff_ffffn;
const NUL = 0;

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

  /** `what` prefixes every error message, e.g. "malformed VoteRequest" (built only on failure). */
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

  /** Throws the reader's error: `<what>: <problem>`. */
  fail(problem: string): never {
    throw new AppError(this.errorCode, `${nameOf(this.what)}: ${problem}`);
  }

  private take(length: number, field: FieldName): number {
    if (length > this.remainingBytes) {
      this.fail(`truncated at byte ${this.offset} while reading ${nameOf(field)}`);
    }
    const at = this.offset;
    this.offset += length;
    return at;
  }

  u8(field: FieldName): number {
    return this.bytes.readUInt8(this.take(1, field));
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

  skip(length: number, field: FieldName): void {
    this.take(length, field);
  }

  /** A NUL-terminated string (latin1); the NUL is consumed and not returned. */
  cString(field: FieldName): string {
    return this.cStringBytes(field).toString('latin1');
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

  /** Refuses anything left after the last field. */
  expectEnd(): void {
    if (this.remainingBytes !== 0) this.fail(`${this.remainingBytes} unexpected trailing bytes`);
  }
}

/** Encodes into one growing buffer: a field is written in place, nothing is allocated per field. */
export class BinaryWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialBytes = 128) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Room for `count` more bytes; returns where they go. Read `this.buffer` only after it. */
  private reserve(count: number): number {
    const at = this.length;
    if (at + count > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, at + count));
      this.buffer.copy(grown, 0, 0, at);
      this.buffer = grown;
    }
    this.length = at + count;
    return at;
  }

  u8(value: number, field = 'u8'): this {
    assertInteger(value, 0, U8_MAX, field);
    const at = this.reserve(1);
    this.buffer.writeUInt8(value, at);
    return this;
  }

  u32(value: number, field = 'u32'): this {
    assertInteger(value, 0, U32_MAX, field);
    const at = this.reserve(4);
    this.buffer.writeUInt32LE(value, at);
    return this;
  }

  i32BE(value: number, field = 'i32'): this {
    assertInteger(value, I32_MIN, I32_MAX, field);
    const at = this.reserve(4);
    this.buffer.writeInt32BE(value, at);
    return this;
  }

  u64(value: bigint, field = 'u64'): this {
    assertBigInt(value, 0n, U64_MAX, field);
    const at = this.reserve(8);
    this.buffer.writeBigUInt64LE(value, at);
    return this;
  }

  u64BE(value: bigint, field = 'u64'): this {
    assertBigInt(value, 0n, U64_MAX, field);
    const at = this.reserve(8);
    this.buffer.writeBigUInt64BE(value, at);
    return this;
  }

  i64(value: bigint, field = 'i64'): this {
    assertBigInt(value, I64_MIN, I64_MAX, field);
    const at = this.reserve(8);
    this.buffer.writeBigInt64LE(value, at);
    return this;
  }

  i64BE(value: bigint, field = 'i64'): this {
    assertBigInt(value, I64_MIN, I64_MAX, field);
    const at = this.reserve(8);
    this.buffer.writeBigInt64BE(value, at);
    return this;
  }

  /** `count` bytes left for the caller to fill in the taken buffer (e.g. a frame header). */
  headroom(count: number): this {
    this.reserve(count);
    return this;
  }

  /** Raw bytes, copied in. */
  bytes(value: Uint8Array): this {
    const at = this.reserve(value.length);
    this.buffer.set(value, at);
    return this;
  }

  /** Bytes given as hex (an even number of hex digits), decoded in place. */
  hex(text: string): this {
    assert(text.length % 2 === 0, () => `"${text}" is not hex (odd length)`);
    const at = this.reserve(text.length / 2);
    const written = this.buffer.write(text, at, 'hex');
    assert(written * 2 === text.length, () => `"${text}" is not hex`);
    return this;
  }

  /** A NUL-terminated latin1 string. */
  cString(text: string, field = 'string'): this {
    assert(!text.includes('\0'), () => `${field} "${text}" contains a NUL`);
    const at = this.reserve(text.length + 1);
    this.buffer.write(text, at, 'latin1');
    this.buffer[at + text.length] = NUL;
    return this;
  }

  string(text: string): this {
    this.u64(BigInt(text.length));
    const at = this.reserve(text.length);
    this.buffer.write(text, at, 'latin1');
    return this;
  }

  /** The bytes written so far (a view: write nothing more once taken). */
  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function assertInteger(value: number, min: number, max: number, field: string): void {
  assert(
    Number.isInteger(value) && value >= min && value <= max,
    () => `${field} ${value} is outside ${min}..${max}`,
  );
}

function assertBigInt(value: bigint, min: bigint, max: bigint, field: string): void {
  assert(value >= min && value <= max, () => `${field} ${value} is outside ${min}..${max}`);
}
