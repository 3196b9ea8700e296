// Bounds-checked little-endian reading and writing for the control file's bincode-style body
// (fixed-width integers, u64 length prefixes, no padding). A read past the end throws the
// integrity error, never a RangeError, so a truncated or crafted file is reported cleanly.
import { AppError } from '../../common/errors.js';

export class BinaryReader {
  private offset = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly what: string,
  ) {}

  get remainingBytes(): number {
    return this.bytes.length - this.offset;
  }

  private take(length: number, field: string): number {
    if (length > this.remainingBytes) {
      throw new AppError(
        'integrity',
        `${this.what}: truncated at byte ${this.offset} while reading ${field}`,
      );
    }
    const at = this.offset;
    this.offset += length;
    return at;
  }

  u32(field: string): number {
    return this.bytes.readUInt32LE(this.take(4, field));
  }

  u64(field: string): bigint {
    return this.bytes.readBigUInt64LE(this.take(8, field));
  }

  /** A u64 count, refused above `max` (a corrupt count must not drive a huge loop). */
  count(field: string, max: number): number {
    const count = this.u64(field);
    if (count > BigInt(max)) {
      throw new AppError('integrity', `${this.what}: ${field} count ${count} exceeds ${max}`);
    }
    return Number(count);
  }

  /** A u64-length-prefixed string that must match `pattern`. */
  string(field: string, maxLength: number, pattern: RegExp): string {
    const length = this.count(`${field} length`, maxLength);
    const at = this.take(length, field);
    const text = this.bytes.toString('latin1', at, at + length);
    if (!pattern.test(text)) {
      throw new AppError('integrity', `${this.what}: ${field} "${text}" is malformed`);
    }
    return text;
  }
}

export class BinaryWriter {
  private readonly chunks: Buffer[] = [];

  u32(value: number): this {
    const chunk = Buffer.alloc(4);
    chunk.writeUInt32LE(value);
    this.chunks.push(chunk);
    return this;
  }

  u64(value: bigint): this {
    const chunk = Buffer.alloc(8);
    chunk.writeBigUInt64LE(value);
    this.chunks.push(chunk);
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
