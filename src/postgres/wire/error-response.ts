// PostgreSQL v3 ErrorResponse ('E') encoding. Layout: byte 'E', int32 length (big-endian,
// counting itself), then fields of one type byte + NUL-terminated string, ended by a NUL byte.
// Field types used: 'S'/'V' severity, 'C' SQLSTATE, 'M' message.

export type ErrorSeverity = 'ERROR' | 'FATAL';

export function encodeErrorResponse(
  severity: ErrorSeverity,
  sqlState: string,
  message: string,
): Buffer {
  const fields = Buffer.concat(
    (
      [
        ['S', severity],
        ['V', severity],
        ['C', sqlState],
        ['M', message],
      ] as const
    ).map(([type, value]) =>
      Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(value, 'utf8'), Buffer.from([0])]),
    ),
  );
  const header = Buffer.alloc(5);
  header.write('E', 0, 'ascii');
  header.writeInt32BE(4 + fields.length + 1, 1);
  return Buffer.concat([header, fields, Buffer.from([0])]);
}

/** SQLSTATE feature_not_supported. */
export const SQLSTATE_FEATURE_NOT_SUPPORTED = '0A000';
