// Parsing of human-written durations ("30s", "500ms", "2m") and sizes ("64MiB", "8KiB").
// Pure functions; errors are AppError('usage') naming what was wrong.
import { AppError } from './errors.js';

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** The units a size may be written in: binary ones only, as WAL sizes are powers of two. */
const SIZE_UNITS_BYTES: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};
/** Units people write that are refused with a pointer to the binary one (kB is 1000 bytes). */
const AMBIGUOUS_SIZE_UNITS: Record<string, string> = {
  k: 'KiB',
  kb: 'KiB',
  m: 'MiB',
  mb: 'MiB',
  g: 'GiB',
  gb: 'GiB',
};
const FORMAT_SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** "30s" -> 30000; a bare number is seconds. Rejects negatives, NaN and unknown units. */
export function parseDurationMs(text: string, what = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) {
    throw new AppError('usage', `invalid ${what} "${text}"`, {
      hints: ['Write a duration like 500ms, 30s, 2m or 1h.'],
    });
  }
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  const factor = DURATION_UNITS_MS[unit];
  if (factor === undefined) throw new AppError('usage', `invalid ${what} "${text}"`);
  return Math.round(value * factor);
}

/** "64MiB" -> 67108864; a bare number is bytes. Units: B, KiB, MiB, GiB (any case). */
export function parseSizeBytes(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i.exec(text);
  const unit = (match?.[2] ?? 'b').toLowerCase();
  const factor = SIZE_UNITS_BYTES[unit];
  if (!match || factor === undefined) {
    const binary = AMBIGUOUS_SIZE_UNITS[unit];
    throw new AppError(
      'usage',
      `invalid ${what} "${text}"${binary === undefined ? '' : `: sizes are binary, write ${match?.[1] ?? ''}${binary}`}`,
      { hints: ['Write a size in B, KiB, MiB or GiB, like 8KiB, 64MiB or 1GiB.'] },
    );
  }
  return Math.round(Number(match[1]) * factor);
}

/** 67108864 -> "64.0 MiB": one decimal in the largest binary unit that keeps it >= 1. */
export function formatSizeBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < FORMAT_SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${FORMAT_SIZE_UNITS[unit] ?? ''}`;
}

export function formatDurationMs(durationMs: number): string {
  if (durationMs < 1000) return `${Math.round(durationMs)}ms`;
  const seconds = Math.floor(durationMs / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}
