// One daemon log line read as a record for people: pino JSON (`time`, `level`, `msg`,
// `component`, `node`, ...) and etcd's zap JSON (`ts`, `caller`) become one normalised record;
// plain text, malformed JSON and JSON that is not a log record are not records (shown as they
// are). Also the text of a record's head and its key=value tail. Pure: no I/O, no colour library.

/** A parsed log line: always a level; `time` is pino's key (etcd's `ts` is moved there). */
export type LogRecord = Record<string, unknown> & { level: string | number };

/** Keys shown in the head of the line (or dropped, like pid and hostname), never as key=value. */
const HEAD_KEYS: ReadonlySet<string> = new Set([
  'level',
  'time',
  'msg',
  'component',
  'node',
  'pid',
  'hostname',
]);

/** zap writes `ts` as epoch seconds when not told otherwise; pino's epoch times are in ms. */
const EPOCH_SECONDS_MAX = 1e11;

export function parseLogRecord(line: string): LogRecord | undefined {
  if (!line.trimStart().startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = { ...(value as Record<string, unknown>) };
  const level = record.level;
  if (typeof level !== 'string' && typeof level !== 'number') return undefined;
  if (record.time === undefined && record.ts !== undefined) {
    const ts = record.ts;
    record.time = typeof ts === 'number' && ts < EPOCH_SECONDS_MAX ? Math.round(ts * 1000) : ts;
    delete record.ts;
  }
  if (typeof record.msg !== 'string' && record.time === undefined) return undefined;
  return { ...record, level };
}

/** Control characters (newlines, escapes) written visibly, so one record stays on one line. */
export function escapeControlChars(text: string): string {
  return text.replace(/\p{Cc}/gu, (char) => JSON.stringify(char).slice(1, -1));
}

export function formatLogValue(value: unknown): string {
  if (typeof value === 'string') {
    return /^[^\s"=\\\p{Cc}]+$/u.test(value) ? value : JSON.stringify(value);
  }
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

export interface LogPaint {
  head(text: string): string;
  key(text: string): string;
}

const NO_PAINT: LogPaint = { head: (t) => t, key: (t) => t };

/** `component node: msg key=value ...`, e.g. `safekeeper 1: timelines loaded loaded=0`. */
export function formatLogMessage(
  record: Readonly<Record<string, unknown>>,
  paint: LogPaint = NO_PAINT,
): string {
  const head = [record.component, record.node]
    .filter((part) => typeof part === 'string' || typeof part === 'number')
    .map(String)
    .join(' ');
  const msg = typeof record.msg === 'string' ? escapeControlChars(record.msg) : '';
  const pairs = Object.entries(record)
    .filter(([key]) => !HEAD_KEYS.has(key))
    .map(([key, value]) => `${paint.key(`${escapeControlChars(key)}=`)}${formatLogValue(value)}`);
  const parts = [head === '' ? '' : paint.head(`${escapeControlChars(head)}:`), msg, ...pairs];
  return parts.filter((part) => part !== '').join(' ');
}
