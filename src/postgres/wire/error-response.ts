// PostgreSQL v3 ErrorResponse ('E') and NoticeResponse ('N'). Layout: type byte, int32 length
// (big-endian, counting itself), then fields of one type byte + NUL-terminated string, ended by
// a zero byte. Field types written: 'S'/'V' severity, 'C' SQLSTATE, 'M' message; the decoder
// keeps every field and requires severity, SQLSTATE (five digits or upper-case letters), message.
// The encoders replace a NUL inside a message with U+FFFD instead of failing.
import { assert } from '../../common/assert.js';
import { BinaryReader } from '../../common/binary-reader.js';
import { encodeCString, encodeMessageFrame } from './frame-writer.js';

export type ErrorSeverity = 'ERROR' | 'FATAL' | 'PANIC';
export type NoticeSeverity = 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

export interface DecodedErrorResponse {
  /** The non-localized 'V' field when present, else 'S'. */
  readonly severity: string;
  readonly sqlState: string;
  readonly message: string;
  /** Every field by its type character, e.g. 'D' detail, 'H' hint. */
  readonly fields: Map<string, string>;
}

const SQLSTATE_TEXT = /^[0-9A-Z]{5}$/;
/** Stands in for a NUL inside a message: reporting an error must not fail on its text. */
const NUL_REPLACEMENT = '\uFFFD';

export function encodeErrorResponse(
  severity: ErrorSeverity,
  sqlState: string,
  message: string,
): Buffer {
  return encodeResponseFields('E', severity, sqlState, message);
}

export function encodeNoticeResponse(
  severity: NoticeSeverity,
  sqlState: string,
  message: string,
): Buffer {
  return encodeResponseFields('N', severity, sqlState, message);
}

/** Decodes the body of an ErrorResponse (or of a NoticeResponse, which has the same layout). */
export function decodeErrorResponse(body: Buffer): DecodedErrorResponse {
  const reader = new BinaryReader(body, 'malformed ErrorResponse', 'usage');
  const fields = new Map<string, string>();
  for (;;) {
    const fieldType = reader.u8('field type');
    if (fieldType === 0) break;
    const name = String.fromCharCode(fieldType);
    if (fields.has(name)) throw reader.error(`field '${name}' appears twice`);
    fields.set(name, reader.cStringUtf8(`field '${name}'`));
  }
  reader.expectEnd('the final zero byte');
  const severity = fields.get('V') ?? fields.get('S');
  const sqlState = fields.get('C');
  const message = fields.get('M');
  if (severity === undefined) throw reader.error("no severity field ('S' or 'V')");
  if (sqlState === undefined) throw reader.error("no SQLSTATE field ('C')");
  if (!SQLSTATE_TEXT.test(sqlState)) throw reader.error(`invalid SQLSTATE "${sqlState}"`);
  if (message === undefined) throw reader.error("no message field ('M')");
  return { severity, sqlState, message, fields };
}

function encodeResponseFields(
  type: 'E' | 'N',
  severity: string,
  sqlState: string,
  message: string,
): Buffer {
  assert(SQLSTATE_TEXT.test(sqlState), () => `SQLSTATE "${sqlState}" is five digits or letters`);
  const fields = (
    [
      ['S', severity],
      ['V', severity],
      ['C', sqlState],
      ['M', message],
    ] as const
  ).flatMap(([fieldType, value]) => [
    Buffer.from(fieldType, 'ascii'),
    encodeCString(value.replaceAll('\0', NUL_REPLACEMENT), `field '${fieldType}'`),
  ]);
  return encodeMessageFrame(type, ...fields, Buffer.from([0]));
}
