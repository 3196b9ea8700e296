// Parsing of human-written durations ("30s", "500ms", "2m") and sizes ("64MiB", "8KiB").
// Pure functions; errors are AppError('usage') naming what was wrong.
import { AppError } from './errors.js';

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS_BYTES: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

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

/** "64MiB" -> 67108864; a bare number is bytes. */
export function parseSizeBytes(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i.exec(text);
  const factor = SIZE_UNITS_BYTES[(match?.[2] ?? 'b').toLowerCase()];
  if (!match || factor === undefined) {
    throw new AppError('usage', `invalid ${what} "${text}"`, {
      hints: ['Write a size like 8KiB, 64MiB or 1GiB.'],
    });
  }
  return Math.round(Number(match[1]) * factor);
}

export function formatDurationMs(durationMs: number): string {
  if (durationMs < 1000) return `${Math.round(durationMs)}ms`;
  const seconds = Math.floor(durationMs / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}
