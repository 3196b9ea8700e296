// Encoding into one growing buffer, for the control file and the walproposer protocol (with its
// big-endian pageserver feedback; PostgreSQL wire frames have their own frame-writer.ts):
// little-endian by default, big-endian where named. A value that does not fit is a bug (assert).
import { assert } from './assert.js';

const U8_MAX = 0xff;
const U32_MAX = 0xffff_ffff;
const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;
const U64_MAX = 0xffff_ffff_ffff_ffffn;
const I64_MIN = -0x8000_0000_0000_0000n;
const I64_MAX = 0x7fff_ffff_ffff_ffffn;
const NUL = 0;

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
