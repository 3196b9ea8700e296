import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { parseNodeId } from '../../../src/common/ids.js';
import {
  formatDurationMs,
  formatSizeBytes,
  parseDurationMs,
  parseSizeBytes,
} from '../../../src/common/units.js';

test('parseDurationMs accepts units and bare seconds', () => {
  const table: [string, number][] = [
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['5', 5000],
    ['1.5s', 1500],
    [' 10s ', 10_000],
  ];
  for (const [text, expected] of table) assert.equal(parseDurationMs(text), expected, text);
});

test('parseDurationMs rejects garbage with a usage error', () => {
  for (const text of ['', 'soon', '-1s', '10 days', 's', '1e3']) {
    assert.throws(
      () => parseDurationMs(text),
      (error: unknown) => error instanceof AppError && error.exitCode === 2,
      text,
    );
  }
});

test('parseSizeBytes', () => {
  const table: [string, number][] = [
    ['64MiB', 64 * 1024 * 1024],
    ['8KiB', 8192],
    ['1GiB', 1024 ** 3],
    ['100', 100],
    ['2mib', 2 * 1024 * 1024],
    ['1.5KiB', 1536],
  ];
  for (const [text, expected] of table) assert.equal(parseSizeBytes(text), expected, text);
  assert.throws(() => parseSizeBytes('8 parsecs'), AppError);
  const ambiguous: [string, string][] = [
    ['64mb', '64MiB'],
    ['8k', '8KiB'],
    ['1GB', '1GiB'],
  ];
  for (const [text, binary] of ambiguous)
    assert.throws(
      () => parseSizeBytes(text, '--size'),
      (error: unknown) =>
        error instanceof AppError &&
        error.message === `invalid --size "${text}": sizes are binary, write ${binary}`,
    );
});

test('formatSizeBytes', () => {
  const table: [number, string][] = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [64 * 1024 * 1024, '64.0 MiB'],
    [1536 * 1024 * 1024, '1.5 GiB'],
  ];
  for (const [bytes, expected] of table) assert.equal(formatSizeBytes(bytes), expected);
});

test('formatDurationMs', () => {
  assert.equal(formatDurationMs(450), '450ms');
  assert.equal(formatDurationMs(61_000), '61s');
  assert.equal(formatDurationMs(3 * 60_000 + 5000), '3m5s');
  assert.equal(formatDurationMs(2 * 3_600_000 + 60_000), '2h1m');
});

test('parseNodeId accepts multi-digit ids and rejects the rest', () => {
  assert.equal(parseNodeId('1'), 1);
  assert.equal(parseNodeId('12'), 12);
  assert.equal(parseNodeId('2147483647'), 2147483647);
  for (const bad of ['0', '-1', '01', '1.5', 'x', '', '2147483648', '1 2']) {
    assert.throws(() => parseNodeId(bad), AppError, bad);
  }
});
