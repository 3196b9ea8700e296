// The fields every walproposer/safekeeper message shares (layouts in proposer-codec.ts): the
// u64 little-endian tag (ASCII letter, high 7 bytes zero), 16-byte ids shown as 32 lower-case hex
// characters, and term histories (u32 count, then term u64 and lsn u64 per entry). Decoding
// errors are AppError('usage') naming the message; encoders assert. No message layouts here.
import { assert } from '../common/assert.js';
import { isHexId } from '../common/hex-id.js';
import { BinaryReader } from '../common/binary-reader.js';
import { type BinaryWriter } from '../common/binary-writer.js';
import type { TermSwitch } from './term-history.js';

const TAG_BYTES = 8;
const TAG_MAX = 0xffn;
export const ID_BYTES = 16;
const TERM_SWITCH_BYTES = 16;
/** Printable ASCII, shown as a letter in error messages. */
const PRINTABLE_LETTER = /^[\x21-\x7e]$/;

export function tagValue(letter: string): bigint {
  return BigInt(letter.charCodeAt(0));
}

type Direction = 'proposer' | 'acceptor';

function tagReader(payload: Uint8Array, direction: Direction): BinaryReader {
  return new BinaryReader(payload, () => `malformed ${direction} message`, 'usage');
}

export function readTagLetter(payload: Uint8Array, direction: Direction): string {
  const reader = tagReader(payload, direction);
  if (payload.length === 0) reader.fail('empty payload');
  const tag = reader.u64('tag');
  if (tag > TAG_MAX) {
    reader.fail(`tag 0x${tag.toString(16).padStart(16, '0')} has non-zero high bytes`);
  }
  return String.fromCharCode(Number(tag));
}

export function failUnknownTag(payload: Uint8Array, direction: Direction, letter: string): never {
  const code = letter.charCodeAt(0);
  const shown = PRINTABLE_LETTER.test(letter) ? ` ('${letter}')` : '';
  return tagReader(payload, direction).fail(
    `unknown tag 0x${code.toString(16).padStart(2, '0')}${shown}`,
  );
}

/** Reads the body after the tag with `read`, then refuses trailing bytes. */
export function decodeBody<T>(
  payload: Uint8Array,
  name: string,
  read: (reader: BinaryReader) => T,
): T {
  const reader = new BinaryReader(payload, () => `malformed ${name}`, 'usage');
  reader.skip(TAG_BYTES, 'tag');
  const message = read(reader);
  reader.expectEnd();
  return message;
}

export function writeHexId(writer: BinaryWriter, id: string, field: string): void {
  assert(isHexId(id), () => `${field} "${id}" is not 32 lower-case hex characters`);
  writer.hex(id);
}

export function readHexId(reader: BinaryReader, field: string): string {
  return reader.bytesView(ID_BYTES, field).toString('hex');
}

export function writeTermHistory(writer: BinaryWriter, history: readonly TermSwitch[]): void {
  writer.u32(history.length, 'term history count');
  for (const entry of history) {
    writer.u64(entry.term, 'term history term').u64(entry.lsn, 'term history lsn');
  }
}

export function readTermHistory(reader: BinaryReader): TermSwitch[] {
  const count = reader.u32Count('term history', TERM_SWITCH_BYTES);
  const history: TermSwitch[] = [];
  for (let i = 0; i < count; i++) {
    history.push({ term: reader.u64('term history term'), lsn: reader.u64('term history lsn') });
  }
  return history;
}
