// Client-to-server messages of the PostgreSQL v3 protocol: encoders for the client (each returns
// a whole frame) and the Query decoder for the server. StartupMessage: untyped packet with code
// 196608 (3.0), then name/value C-string pairs ended by an extra NUL (see startup-parameters.ts).
// SSLRequest: untyped packet of 8 bytes with code 80877103. CopyData/CopyDone: copy-messages.ts.
import { AppError } from '../../common/errors.js';
import { BinaryReader } from '../../common/binary-reader.js';
import { STARTUP_CODES } from './frame-reader.js';
import { encodeCString, encodeMessageFrame, encodeStartupFrame } from './frame-writer.js';

export { encodeCopyData, encodeCopyDone } from './copy-messages.js';

export function encodeStartupMessage(params: Readonly<Record<string, string>>): Buffer {
  const pairs = Object.entries(params).flatMap(([name, value]) => {
    if (name === '') throw new AppError('usage', 'a startup parameter name must not be empty');
    return [
      encodeCString(name, `startup parameter name "${name}"`),
      encodeCString(value, `the value of startup parameter ${name}`),
    ];
  });
  return encodeStartupFrame(STARTUP_CODES.protocolV3, Buffer.concat([...pairs, Buffer.from([0])]));
}

export function encodeSslRequest(): Buffer {
  return encodeStartupFrame(STARTUP_CODES.sslRequest, Buffer.alloc(0));
}

export function encodeQuery(sql: string): Buffer {
  return encodeMessageFrame('Q', encodeCString(sql, 'the query text'));
}

export function encodeTerminate(): Buffer {
  return encodeMessageFrame('X');
}

/** The query text of a Query body: one NUL-terminated UTF-8 string, nothing after it. */
export function decodeQuery(body: Buffer): string {
  const reader = new BinaryReader(body, 'malformed Query', 'usage');
  const sql = reader.cStringUtf8('query text');
  if (reader.remainingBytes !== 0) {
    throw reader.error(`the query text has a NUL byte at offset ${Buffer.byteLength(sql)}`);
  }
  return sql;
}
