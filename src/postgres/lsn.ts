// PostgreSQL log sequence numbers: unsigned 64-bit byte positions in the WAL, kept as bigint.
// Text form "X/X": the high and low 32-bit halves in upper-case hex without zero padding
// (0/16B9188, FFFFFFFF/FEFFFFFF). Parsing is strict: exactly two halves of 1-8 hex digits.
import { AppError } from '../common/errors.js';

export type Lsn = bigint;

export const LSN_MAX: Lsn = 0xffff_ffff_ffff_ffffn;
const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function isLsn(value: unknown): value is Lsn {
  return typeof value === 'bigint' && value >= 0n && value <= LSN_MAX;
}

export function parseLsn(text: string, what = 'LSN'): Lsn {
  const match = LSN_TEXT.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new AppError(
      'usage',
      `invalid ${what} "${text}": expected X/X with 1-8 hex digits on each side, e.g. 0/16B9188`,
    );
  }
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  if (!isLsn(lsn)) throw new RangeError(`not an LSN: ${String(lsn)}`);
  const high = lsn >> 32n;
  const low = lsn & 0xffff_ffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}
