// Typed, key-naming access to one table of a parsed TOML document. Every problem becomes an
// AppError('bad-config') that names the full key path, and unknown keys are refused, so a typo
// in the config never goes unnoticed.
import { AppError } from '../common/errors.js';
import { formatDurationMs, parseDurationMs } from '../common/units.js';

type TomlValue = unknown;
type TomlTable = Record<string, TomlValue>;

export function isTable(value: unknown): value is TomlTable {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

export class ConfigReader {
  private readonly used = new Set<string>();

  constructor(
    private readonly table: TomlTable,
    private readonly keyPath: string,
    private readonly source: string,
  ) {}

  fail(key: string, problem: string): never {
    throw new AppError('bad-config', `bad config ${this.source}: ${this.keyOf(key)} ${problem}`, {
      hints: [
        `Fix ${this.keyOf(key)} in ${this.source}, or write a new config with \`neon_local init --force\` (this removes the cluster's data).`,
      ],
    });
  }

  keyOf(key: string): string {
    return this.keyPath === '' ? key : `${this.keyPath}.${key}`;
  }

  private take(key: string): TomlValue {
    this.used.add(key);
    return this.table[key];
  }

  string(key: string, fallback?: string): string {
    const value = this.take(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string') this.fail(key, `must be a string (got ${describe(value)})`);
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const value = this.string(key, fallback);
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(key, `must be one of ${allowed.join(', ')} (got "${value}")`);
    }
    return value as T;
  }

  integer(key: string, range: { min: number; max: number }, fallback?: number): number {
    const raw = this.take(key);
    if (raw === undefined && fallback !== undefined) return fallback;
    const value = typeof raw === 'bigint' ? Number(raw) : raw;
    if (
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < range.min ||
      value > range.max
    ) {
      this.fail(key, `must be an integer from ${range.min} to ${range.max} (got ${describe(raw)})`);
    }
    return value;
  }

  port(key: string, fallback?: number): number {
    return this.integer(key, { min: 1, max: 65535 }, fallback);
  }

  boolean(key: string, fallback?: boolean): boolean {
    const value = this.take(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'boolean')
      this.fail(key, `must be true or false (got ${describe(value)})`);
    return value;
  }

  /** A duration like "5s" or "200ms", in milliseconds, within `range`. */
  duration(key: string, range: { minMs: number; maxMs: number }, fallback: string): number {
    const text = this.string(key, fallback);
    let durationMs: number;
    try {
      durationMs = parseDurationMs(text, key);
    } catch {
      this.fail(key, `must be a duration like "5s" or "200ms" (got "${text}")`);
    }
    if (durationMs < range.minMs || durationMs > range.maxMs)
      this.fail(
        key,
        `must be between ${formatDurationMs(range.minMs)} and ${formatDurationMs(range.maxMs)} (got "${text}")`,
      );
    return durationMs;
  }

  stringArray(key: string, fallback?: string[]): string[] {
    const value = this.take(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      this.fail(key, `must be an array of strings (got ${describe(value)})`);
    }
    return value;
  }

  subTable(key: string): ConfigReader {
    const value = this.take(key);
    if (value === undefined) return new ConfigReader({}, this.keyOf(key), this.source);
    if (!isTable(value)) this.fail(key, `must be a table (got ${describe(value)})`);
    return new ConfigReader(value, this.keyOf(key), this.source);
  }

  tableArray(key: string): ConfigReader[] {
    const value = this.take(key);
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isTable)) {
      this.fail(key, `must be an array of tables ([[${key}]]) (got ${describe(value)})`);
    }
    return value.map(
      (item, index) => new ConfigReader(item, `${this.keyOf(key)}[${index}]`, this.source),
    );
  }

  /** Refuses keys that no accessor asked for. Call after reading every key of the table. */
  finish(): void {
    for (const key of Object.keys(this.table)) {
      if (!this.used.has(key)) this.fail(key, 'is not a known key');
    }
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (isTable(value)) return 'a table';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return value instanceof Date ? value.toISOString() : typeof value;
}
