import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStorageListing } from '../../../src/cli/ui/storage-view.js';
import { tableWidth } from '../../../src/cli/ui/table.js';
import { PLAIN } from '../../../src/cli/ui/theme.js';
import type { StorageListing } from '../../../src/cluster/storage-ops.js';

const T = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const L = '7e57ab1e7e57ab1e7e57ab1e7e57ab1e';

const listing: StorageListing = {
  bucket: 'neon-local',
  endpoint: 'http://127.0.0.1:9000',
  prefix: 'safekeeper-wal/',
  recursive: true,
  objects: [1, 2].map((segno) => ({
    key: `safekeeper-wal/${T}/${L}/00000001000000000000000${segno}`,
    size: 16 * 1024 * 1024,
    last_modified: '2026-12-01T17:38:11.123Z',
  })),
  prefixes: [],
  total_bytes: 32 * 1024 * 1024,
};

test('storage ls fits 80 columns by shortening ids, and shows them whole at 200', () => {
  assert.equal(
    renderStorageListing(listing, PLAIN, { widthColumns: 80, wide: false }),
    [
      'SIZE      MODIFIED (UTC)    KEY',
      '16.0 MiB  2026-12-01 17:38  c0ffee00…/7e57ab1e…/000000010000000000000001',
      '16.0 MiB  2026-12-01 17:38  c0ffee00…/7e57ab1e…/000000010000000000000002',
      's3://neon-local/safekeeper-wal/: 2 objects, 32.0 MiB',
    ].join('\n'),
  );
  const wide = renderStorageListing(listing, PLAIN, { widthColumns: 200, wide: false });
  assert.ok(wide.includes(`${T}/${L}/000000010000000000000001`));
  assert.ok(tableWidth(wide) <= 200);
  const forcedWide = renderStorageListing(listing, PLAIN, { widthColumns: 80, wide: true });
  assert.ok(forcedWide.includes(T), '--wide keeps the ids (the line is cut instead)');
});

test('storage ls: directories, and an empty prefix said in words', () => {
  const dirs: StorageListing = {
    ...listing,
    prefix: '',
    recursive: false,
    objects: [],
    prefixes: ['pageserver/', 'safekeeper-wal/'],
    total_bytes: 0,
  };
  const text = renderStorageListing(dirs, PLAIN, { widthColumns: 80, wide: false });
  assert.match(text, /^DIR\s+pageserver\/$/m);
  assert.match(text, /2 directories below \(see --recursive\)$/);
  const empty = renderStorageListing({ ...dirs, prefixes: [] }, PLAIN, {
    widthColumns: 80,
    wide: false,
  });
  assert.equal(empty, 'nothing under s3://neon-local/ (http://127.0.0.1:9000)');
});
