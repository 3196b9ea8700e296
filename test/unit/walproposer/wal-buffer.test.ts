// The proposer's WAL buffer: a slice is the views of the chunks it covers (never a copy), capped
// at the end of the buffer, and dropped WAL is gone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WalBuffer } from '../../../src/walproposer/wal-buffer.js';

/** Its own ArrayBuffer (not a slice of Node's shared pool), so that `.buffer` tells chunks apart. */
function filled(length: number, from: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) bytes[index] = (from + index) % 251;
  return bytes;
}

test('a slice is views of the chunks it covers, none copied', () => {
  const buffer = new WalBuffer(1000n);
  const first = filled(100, 0);
  const second = filled(100, 100);
  buffer.append(first);
  buffer.append(second);
  const inside = buffer.slice(1010n, 20);
  assert.equal(inside.length, 1);
  assert.equal(inside[0]?.buffer, first.buffer, 'a view of the appended chunk');
  assert.deepEqual(Buffer.concat(inside), filled(20, 10));
  const across = buffer.slice(1050n, 100);
  assert.deepEqual(
    across.map((part) => part.buffer),
    [first.buffer, second.buffer],
    'views of both chunks',
  );
  assert.deepEqual(Buffer.concat(across), filled(100, 50));
  first[60] = 0xee;
  assert.equal(across[0]?.[10], 0xee, 'a change to the chunk shows in the slice');
  assert.deepEqual(Buffer.concat(buffer.slice(1150n, 500)), filled(50, 150), 'capped at the end');
  assert.deepEqual(buffer.slice(1200n, 10), [], 'nothing past the end');
});

test('WAL dropped below an LSN is no longer held', () => {
  const buffer = new WalBuffer(0n);
  buffer.append(filled(10, 0));
  buffer.append(filled(10, 10));
  buffer.dropBefore(15n);
  assert.equal(buffer.startLsn, 10n, 'only whole chunks are dropped');
  assert.throws(() => buffer.slice(5n, 1), /is not held/);
  assert.deepEqual(Buffer.concat(buffer.slice(10n, 10)), filled(10, 10));
});
