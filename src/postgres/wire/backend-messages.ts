// Server-to-client messages of the PostgreSQL v3 protocol: encoders for the server (each returns
// a whole frame) and decoders of the bodies for the client. Integers are big-endian; strings are
// NUL-terminated UTF-8. RowDescription fields beyond name and type are those PostgreSQL sends
// for a computed column in text format: table oid 0, column 0, type modifier -1, format 0.
// ErrorResponse/NoticeResponse live in error-response.ts, CopyData/CopyDone in copy-messages.ts.
import { assert } from '../../common/assert.js';
import { BinaryReader } from '../../common/binary-reader.js';
import { encodeCString, encodeInt16, encodeInt32, encodeMessageFrame } from './frame-writer.js';
import { typeSizeBytes } from './pg-types.js';

export { encodeCopyData, encodeCopyDone } from './copy-messages.js';
export { encodeNoticeResponse } from './error-response.js';

export type TransactionStatus = 'I' | 'T' | 'E';

export interface ColumnDescription {
  readonly name: string;
  readonly typeOid: number;
}

/** One RowDescription field as sent. */
export interface RowDescriptionField extends ColumnDescription {
  readonly tableOid: number;
  readonly columnNumber: number;
  readonly typeSizeBytes: number;
  readonly typeModifier: number;
  /** 0 text, 1 binary. */
  readonly formatCode: number;
}

export interface BackendKeyData {
  readonly processId: number;
  readonly secretKey: number;
}

export interface CopyResponse {
  /** 0 textual, 1 binary. */
  readonly overallFormat: number;
  readonly columnFormats: readonly number[];
}

/** The answer to an SSLRequest (or GSSENCRequest) when encryption is not offered; do not modify. */
export const SSL_NOT_SUPPORTED: Buffer = Buffer.from('N', 'ascii');

/** Authentication request code of AuthenticationOk. */
export const AUTH_CODE_OK = 0;
const NULL_VALUE_LENGTH = -1;
const TEXT_FORMAT = 0;

export function encodeAuthenticationOk(): Buffer {
  return encodeMessageFrame('R', encodeInt32(AUTH_CODE_OK));
}

export function encodeParameterStatus(name: string, value: string): Buffer {
  return encodeMessageFrame(
    'S',
    encodeCString(name, 'a parameter name'),
    encodeCString(value, `the value of parameter ${name}`),
  );
}

/** Either number may be given signed or unsigned (32 bits); decoding yields them signed. */
export function encodeBackendKeyData(processId: number, secretKey: number): Buffer {
  return encodeMessageFrame('K', encodeInt32(toInt32(processId)), encodeInt32(toInt32(secretKey)));
}

export function encodeReadyForQuery(status: TransactionStatus): Buffer {
  return encodeMessageFrame('Z', Buffer.from(status, 'ascii'));
}

/** CopyBothResponse for a copy without columns in text format (as walsenders send it). */
export function encodeCopyBothResponse(): Buffer {
  return encodeMessageFrame('W', Buffer.from([TEXT_FORMAT]), encodeInt16(0));
}

export function encodeCopyOutResponse(): Buffer {
  return encodeMessageFrame('H', Buffer.from([TEXT_FORMAT]), encodeInt16(0));
}

export function encodeRowDescription(columns: readonly ColumnDescription[]): Buffer {
  const fields = columns.flatMap((column) => [
    encodeCString(column.name, 'a column name'),
    encodeInt32(0),
    encodeInt16(0),
    encodeInt32(column.typeOid),
    encodeInt16(typeSizeBytes(column.typeOid)),
    encodeInt32(-1),
    encodeInt16(TEXT_FORMAT),
  ]);
  return encodeMessageFrame('T', encodeInt16(columns.length), ...fields);
}

/** A row of text values; null is SQL NULL. */
export function encodeDataRow(values: readonly (string | null)[]): Buffer {
  const cells = values.flatMap((value) => {
    if (value === null) return [encodeInt32(NULL_VALUE_LENGTH)];
    const bytes = Buffer.from(value, 'utf8');
    return [encodeInt32(bytes.length), bytes];
  });
  return encodeMessageFrame('D', encodeInt16(values.length), ...cells);
}

export function encodeCommandComplete(tag: string): Buffer {
  return encodeMessageFrame('C', encodeCString(tag, 'a command tag'));
}

/** The authentication request code of an 'R' body (0 is AuthenticationOk). */
export function decodeAuthentication(body: Buffer): number {
  const reader = new BinaryReader(body, 'malformed Authentication', 'usage');
  const code = reader.i32BE('request code');
  if (code === AUTH_CODE_OK) reader.expectEnd('the request code');
  return code;
}

export function decodeParameterStatus(body: Buffer): { name: string; value: string } {
  const reader = new BinaryReader(body, 'malformed ParameterStatus', 'usage');
  const name = reader.cStringUtf8('name');
  const value = reader.cStringUtf8('value');
  reader.expectEnd('value');
  return { name, value };
}

export function decodeBackendKeyData(body: Buffer): BackendKeyData {
  const reader = new BinaryReader(body, 'malformed BackendKeyData', 'usage');
  const processId = reader.i32BE('process id');
  const secretKey = reader.i32BE('secret key');
  reader.expectEnd('secret key');
  return { processId, secretKey };
}

export function decodeReadyForQuery(body: Buffer): TransactionStatus {
  const reader = new BinaryReader(body, 'malformed ReadyForQuery', 'usage');
  const status = String.fromCharCode(reader.u8('transaction status'));
  reader.expectEnd('transaction status');
  if (status !== 'I' && status !== 'T' && status !== 'E') {
    throw reader.error(`unknown transaction status '${status}'`);
  }
  return status;
}

/** The body of a CopyInResponse, CopyOutResponse or CopyBothResponse. */
export function decodeCopyResponse(body: Buffer): CopyResponse {
  const reader = new BinaryReader(body, 'malformed copy response', 'usage');
  const overallFormat = reader.u8('overall format');
  const count = reader.i16BE('column count');
  if (overallFormat > 1) throw reader.error(`unknown overall format ${overallFormat}`);
  if (count < 0) throw reader.error(`negative column count ${count}`);
  const columnFormats = Array.from({ length: count }, (_, index) =>
    reader.i16BE(`format of column ${index}`),
  );
  reader.expectEnd('the column formats');
  return { overallFormat, columnFormats };
}

export function decodeRowDescription(body: Buffer): RowDescriptionField[] {
  const reader = new BinaryReader(body, 'malformed RowDescription', 'usage');
  const count = reader.i16BE('field count');
  if (count < 0) throw reader.error(`negative field count ${count}`);
  const fields = Array.from({ length: count }, (_, index) => ({
    name: reader.cStringUtf8(`name of field ${index}`),
    tableOid: reader.i32BE(`table oid of field ${index}`),
    columnNumber: reader.i16BE(`column number of field ${index}`),
    typeOid: reader.i32BE(`type oid of field ${index}`),
    typeSizeBytes: reader.i16BE(`type size of field ${index}`),
    typeModifier: reader.i32BE(`type modifier of field ${index}`),
    formatCode: reader.i16BE(`format code of field ${index}`),
  }));
  reader.expectEnd('the last field');
  return fields;
}

/** The column values of a DataRow, as views of `body`; null is SQL NULL. */
export function decodeDataRow(body: Buffer): (Buffer | null)[] {
  const reader = new BinaryReader(body, 'malformed DataRow', 'usage');
  const count = reader.i16BE('column count');
  if (count < 0) throw reader.error(`negative column count ${count}`);
  const values = Array.from({ length: count }, (_, index) => {
    const length = reader.i32BE(`length of column ${index}`);
    if (length === NULL_VALUE_LENGTH) return null;
    if (length < 0) throw reader.error(`invalid length ${length} of column ${index}`);
    return reader.bytesView(length, `value of column ${index}`);
  });
  reader.expectEnd('the last column');
  return values;
}

export function decodeCommandComplete(body: Buffer): string {
  const reader = new BinaryReader(body, 'malformed CommandComplete', 'usage');
  const tag = reader.cStringUtf8('command tag');
  reader.expectEnd('command tag');
  if (tag === '') throw reader.error('empty command tag');
  return tag;
}

function toInt32(value: number): number {
  assert(
    Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 32,
    () => `${value} fits 32 bits`,
  );
  return value | 0;
}
