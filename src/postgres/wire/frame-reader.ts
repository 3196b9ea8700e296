// Incremental parser of PostgreSQL v3 frames, for both ends of a connection. Startup phase:
// untyped packets, int32 length (counting itself) + int32 code + body. Message phase: one type
// byte + int32 length (counting itself, not the type byte) + body. All integers big-endian.
// Pushed chunks are kept as they are; only a frame that spans chunks is copied. next() checks a
// length against the limits once its bytes are buffered, before any body is awaited or allocated.
import { assert } from '../../common/assert.js';
import { AppError } from '../../common/errors.js';
import { LENGTH_FIELD_BYTES, MESSAGE_HEADER_BYTES, STARTUP_HEADER_BYTES } from './frame-writer.js';

/** The code after the length of a startup-phase packet. */
export const STARTUP_CODES = {
  protocolV3: 196608,
  sslRequest: 80877103,
  gssEncRequest: 80877104,
  cancelRequest: 80877102,
} as const;

/**
 * A complete frame. `body` is a view of a pushed chunk when the frame lay within one chunk and a
 * fresh copy when it spanned several; either way the reader never writes to it again, so callers
 * must not modify a chunk after pushing it. A transient reader (FrameReaderOptions) assembles
 * spanning frames in a buffer it reuses: such a body is valid until the reader's next call.
 */
export type WireFrame =
  | { readonly kind: 'startup'; readonly code: number; readonly body: Buffer }
  | { readonly kind: 'message'; readonly type: string; readonly body: Buffer };

export interface FrameReaderLimits {
  /** Largest startup packet length field accepted (the length counts itself). */
  readonly maxStartupBytes: number;
  /** Largest message length field accepted (counts itself, not the type byte). */
  readonly maxMessageBytes: number;
}

export type FramePhase = 'startup' | 'messages';

export interface FrameReaderOptions {
  /**
   * Frames are used before the next call only (the reader's caller reuses its buffers): a
   * frame that spans chunks is assembled in one buffer the reader reuses, not a fresh copy.
   */
  readonly isTransient?: boolean;
}

/** Consumed slots at the front of the chunk list tolerated before the list is compacted (it
 * is compacted only when they are at least half of it, so compaction stays linear overall). */
const COMPACT_AFTER_CHUNKS = 256;
const EMPTY_CHUNK = new Uint8Array(0);

interface FrameHeader {
  /** The message type; undefined for a startup packet. */
  readonly type: string | undefined;
  /** Header and body together. */
  readonly frameBytes: number;
}

export class FrameReader {
  readonly #limits: FrameReaderLimits;
  #phase: FramePhase;
  readonly #chunks: Uint8Array[] = [];
  /** Index of the first chunk with unconsumed bytes, and how much of it is consumed. */
  #firstChunk = 0;
  #firstOffset = 0;
  #bufferedBytes = 0;
  /** The header of the frame at the front, once parsed in the current phase. */
  #header: FrameHeader | undefined;
  readonly #headerBytes = Buffer.alloc(MESSAGE_HEADER_BYTES);
  #failure: AppError | undefined;
  readonly #isTransient: boolean;
  /** Where a transient reader assembles frames that span chunks (grown to the largest). */
  #assembly: Buffer | undefined;

  constructor(limits: FrameReaderLimits, phase: FramePhase, options: FrameReaderOptions = {}) {
    assert(
      Number.isSafeInteger(limits.maxStartupBytes) &&
        limits.maxStartupBytes >= STARTUP_HEADER_BYTES &&
        Number.isSafeInteger(limits.maxMessageBytes) &&
        limits.maxMessageBytes >= LENGTH_FIELD_BYTES,
      `frame limits ${limits.maxStartupBytes}/${limits.maxMessageBytes} are usable`,
    );
    this.#limits = limits;
    this.#phase = phase;
    this.#isTransient = options.isTransient ?? false;
  }

  /** Switches how the following bytes are framed, e.g. after the StartupMessage was read. */
  setPhase(phase: FramePhase): void {
    this.#phase = phase;
    this.#header = undefined;
  }

  /** Never throws; after a failure the chunk is dropped. */
  push(chunk: Uint8Array): void {
    if (this.#failure !== undefined || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;
  }

  /** The next complete frame, or undefined until one is buffered. Throws the sticky failure. */
  next(): WireFrame | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    this.#header ??= this.#parseHeader();
    const header = this.#header;
    if (header === undefined || this.#bufferedBytes < header.frameBytes) return undefined;
    this.#header = undefined;
    const frame = this.#take(header.frameBytes);
    if (header.type === undefined) {
      const code = frame.readInt32BE(LENGTH_FIELD_BYTES);
      return { kind: 'startup', code, body: frame.subarray(STARTUP_HEADER_BYTES) };
    }
    return { kind: 'message', type: header.type, body: frame.subarray(MESSAGE_HEADER_BYTES) };
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /**
   * Hands back the bytes not consumed yet and forgets them (and the header parsed from them):
   * a caller that reads into a buffer it reuses moves them before it reads again and pushes
   * them back with what follows. Within one pushed chunk this is a view; across several, a copy.
   */
  takeRemainder(): Uint8Array {
    this.#header = undefined;
    if (this.#bufferedBytes === 0) {
      this.#chunks.length = 0;
      this.#firstChunk = 0;
      this.#firstOffset = 0;
      return EMPTY_CHUNK;
    }
    return this.#take(this.#bufferedBytes);
  }

  /** The header at the front once its length field is buffered; throws on a bad length. */
  #parseHeader(): FrameHeader | undefined {
    if (this.#phase === 'startup') {
      if (!this.#peek(LENGTH_FIELD_BYTES)) return undefined;
      const length = this.#headerBytes.readInt32BE(0);
      this.#checkLength(
        length,
        STARTUP_HEADER_BYTES,
        this.#limits.maxStartupBytes,
        () => 'startup packet',
      );
      return { type: undefined, frameBytes: length };
    }
    if (!this.#peek(MESSAGE_HEADER_BYTES)) return undefined;
    const typeByte = this.#headerBytes.readUInt8(0);
    const length = this.#headerBytes.readInt32BE(1);
    this.#checkLength(
      length,
      LENGTH_FIELD_BYTES,
      this.#limits.maxMessageBytes,
      () => `message ${describeTypeByte(typeByte)}`,
    );
    return { type: String.fromCharCode(typeByte), frameBytes: 1 + length };
  }

  /** `what` names the frame in the error; it is built only then (every frame comes here). */
  #checkLength(length: number, minBytes: number, maxBytes: number, what: () => string): void {
    let bound: string | undefined;
    if (length < minBytes) bound = `at least ${minBytes}`;
    else if (length > maxBytes) bound = `at most ${maxBytes}`;
    if (bound === undefined) return;
    this.#failure = new AppError('usage', `invalid frame length ${length} for ${what()}: ${bound}`);
    this.#chunks.length = 0;
    this.#firstChunk = 0;
    this.#firstOffset = 0;
    this.#bufferedBytes = 0;
    throw this.#failure;
  }

  /** Copies the first `count` buffered bytes (at most a header) into #headerBytes. */
  #peek(count: number): boolean {
    if (this.#bufferedBytes < count) return false;
    let copied = 0;
    let offset = this.#firstOffset;
    for (let index = this.#firstChunk; copied < count; index++) {
      const chunk = this.#chunkAt(index);
      const part = chunk.subarray(offset, offset + count - copied);
      this.#headerBytes.set(part, copied);
      copied += part.length;
      offset = 0;
    }
    return true;
  }

  /** Consumes `count` buffered bytes: a view when they lie in one chunk, else one copy. */
  #take(count: number): Buffer {
    const first = this.#chunkAt(this.#firstChunk);
    if (first.length - this.#firstOffset >= count) {
      const view = Buffer.from(first.buffer, first.byteOffset + this.#firstOffset, count);
      this.#consume(count);
      return view;
    }
    const copy = this.#copyTarget(count);
    let copied = 0;
    while (copied < count) {
      const chunk = this.#chunkAt(this.#firstChunk);
      const part = chunk.subarray(this.#firstOffset, this.#firstOffset + count - copied);
      copy.set(part, copied);
      copied += part.length;
      this.#consume(part.length);
    }
    return copy;
  }

  /** A fresh buffer, or for a transient reader a view of the reused assembly buffer. */
  #copyTarget(count: number): Buffer {
    if (!this.#isTransient) return Buffer.allocUnsafe(count);
    if (this.#assembly === undefined || this.#assembly.length < count)
      this.#assembly = Buffer.allocUnsafe(count);
    return this.#assembly.subarray(0, count);
  }

  /** Advances past `count` bytes of the first chunk (at most its unconsumed rest). */
  #consume(count: number): void {
    this.#bufferedBytes -= count;
    this.#firstOffset += count;
    if (this.#firstOffset < this.#chunkAt(this.#firstChunk).length) return;
    this.#chunks[this.#firstChunk] = EMPTY_CHUNK;
    this.#firstChunk++;
    this.#firstOffset = 0;
    const isWorthCompacting =
      this.#firstChunk >= COMPACT_AFTER_CHUNKS && this.#firstChunk * 2 >= this.#chunks.length;
    if (this.#firstChunk === this.#chunks.length || isWorthCompacting) {
      this.#chunks.splice(0, this.#firstChunk);
      this.#firstChunk = 0;
    }
  }

  #chunkAt(index: number): Uint8Array {
    const chunk = this.#chunks[index];
    assert(chunk !== undefined, () => `buffered chunk ${index} exists`);
    return chunk;
  }
}

/** 'd' for a printable type byte, 0x00 otherwise. */
function describeTypeByte(typeByte: number): string {
  if (typeByte >= 0x21 && typeByte <= 0x7e) return `'${String.fromCharCode(typeByte)}'`;
  return `0x${typeByte.toString(16).padStart(2, '0')}`;
}
