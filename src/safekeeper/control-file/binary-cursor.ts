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

export class BinaryReader {
  private offset = 0;
  private readonly bytes: Buffer;

  /** `what` prefixes every error message, e.g. "malformed VoteRequest". */
  constructor(
    bytes: Uint8Array,
    private readonly what: string,
    private readonly errorCode: ErrorCode = 'integrity',
  ) {
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remainingBytes(): number {
    return this.bytes.length - this.offset;
  }

  /** Throws the reader's error: `<what>: <problem>`. */
  fail(problem: string): never {
    throw new AppError(this.errorCode, `${this.what}: ${problem}`);
  }

  private take(length: number, field: string): number {
    if (length > this.remainingBytes) {
      this.fail(`truncated at byte ${this.offset} while reading ${field}`);
    }
    const at = this.offset;
    this.offset += length;
    return at;
  }

  u8(field: string): number {
    return this.bytes.readUInt8(this.take(1, field));
  }

  u32(field: string): number {
    return this.bytes.readUInt32LE(this.take(4, field));
  }

  i32BE(field: string): number {
    return this.bytes.readInt32BE(this.take(4, field));
  }

  u64(field: string): bigint {
    return this.bytes.readBigUInt64LE(this.take(8, field));
  }

  u64BE(field: string): bigint {
    return this.bytes.readBigUInt64BE(this.take(8, field));
  }

  i64(field: string): bigint {
    return this.bytes.readBigInt64LE(this.take(8, field));
  }

  i64BE(field: string): bigint {
    return this.bytes.readBigInt64BE(this.take(8, field));
  }

  /** `length` raw bytes as a view of the input (no copy). */
  bytesView(length: number, field: string): Buffer {
    const at = this.take(length, field);
    return this.bytes.subarray(at, at + length);
  }

  skip(length: number, field: string): void {
    this.take(length, field);
  }

  /** A NUL-terminated string (latin1); the NUL is consumed and not returned. */
  cString(field: string): string {
    if (this.remainingBytes === 0) this.take(1, field);
    const end = this.bytes.indexOf(NUL, this.offset);
    if (end === -1) this.fail(`${field} at byte ${this.offset} has no terminating NUL`);
    const text = this.bytes.toString('latin1', this.offset, end);
    this.offset = end + 1;
    return text;
  }

  /** A u64 count, refused above `max` (a corrupt count must not drive a huge loop). */
  count(field: string, max: number): number {
    const count = this.u64(field);
    if (count > BigInt(max)) this.fail(`${field} count ${count} exceeds ${max}`);
    return Number(count);
  }

  /** A u32 count of `entryBytes`-sized entries, refused if the rest of the input cannot hold them. */
  u32Count(field: string, entryBytes: number): number {
    const count = this.u32(field);
    const neededBytes = count * entryBytes;
    if (neededBytes > this.remainingBytes) {
      this.fail(
        `${field} count ${count} needs ${neededBytes} bytes but only ${this.remainingBytes} remain`,
      );
    }
    return count;
  }

  /** A u64-length-prefixed string that must match `pattern`. */
  string(field: string, maxLength: number, pattern: RegExp): string {
    const length = this.count(`${field} length`, maxLength);
    const at = this.take(length, field);
    const text = this.bytes.toString('latin1', at, at + length);
    if (!pattern.test(text)) this.fail(`${field} "${text}" is malformed`);
    return text;
  }

  /** Refuses anything left after the last field. */
  expectEnd(): void {
    if (this.remainingBytes !== 0) this.fail(`${this.remainingBytes} unexpected trailing bytes`);
  }
}

export class BinaryWriter {
  private readonly chunks: Buffer[] = [];

  private push(length: number, write: (chunk: Buffer) => void): this {
    const chunk = Buffer.alloc(length);
    write(chunk);
    this.chunks.push(chunk);
    return this;
  }

  u8(value: number, field = 'u8'): this {
    assertInteger(value, 0, U8_MAX, field);
    return this.push(1, (chunk) => chunk.writeUInt8(value));
  }

  u32(value: number, field = 'u32'): this {
    assertInteger(value, 0, U32_MAX, field);
    return this.push(4, (chunk) => chunk.writeUInt32LE(value));
  }

  i32BE(value: number, field = 'i32'): this {
    assertInteger(value, I32_MIN, I32_MAX, field);
    return this.push(4, (chunk) => chunk.writeInt32BE(value));
  }

  u64(value: bigint, field = 'u64'): this {
    assertBigInt(value, 0n, U64_MAX, field);
    return this.push(8, (chunk) => chunk.writeBigUInt64LE(value));
  }

  u64BE(value: bigint, field = 'u64'): this {
    assertBigInt(value, 0n, U64_MAX, field);
    return this.push(8, (chunk) => chunk.writeBigUInt64BE(value));
  }

  i64(value: bigint, field = 'i64'): this {
    assertBigInt(value, I64_MIN, I64_MAX, field);
    return this.push(8, (chunk) => chunk.writeBigInt64LE(value));
  }

  i64BE(value: bigint, field = 'i64'): this {
    assertBigInt(value, I64_MIN, I64_MAX, field);
    return this.push(8, (chunk) => chunk.writeBigInt64BE(value));
  }

  /** Raw bytes, copied when the writer is turned into a buffer. */
  bytes(value: Uint8Array): this {
    this.chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  /** A NUL-terminated latin1 string. */
  cString(text: string, field = 'string'): this {
    assert(!text.includes('\0'), `${field} "${text}" contains a NUL`);
    this.chunks.push(Buffer.from(`${text}\0`, 'latin1'));
    return this;
  }

  string(text: string): this {
    this.u64(BigInt(text.length));
    this.chunks.push(Buffer.from(text, 'latin1'));
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function assertInteger(value: number, min: number, max: number, field: string): void {
  assert(
    Number.isInteger(value) && value >= min && value <= max,
    `${field} ${value} is outside ${min}..${max}`,
  );
}

function assertBigInt(value: bigint, min: bigint, max: bigint, field: string): void {
  assert(value >= min && value <= max, `${field} ${value} is outside ${min}..${max}`);
}
