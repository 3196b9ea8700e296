// The proposer's WAL buffer: slices are views when they lie in one appended chunk, one copy when
// they span chunks (shared by every acceptor asking for the same slice), and dropped WAL is gone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WalBuffer } from '../../../src/walproposer/wal-buffer.js';

function filled(length: number, from: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (from + index) % 251));
}

test('slices within a chunk are views, slices across chunks are joined once and shared', () => {
  const buffer = new WalBuffer(1000n);
  const first = filled(100, 0);
  const second = filled(100, 100);
  buffer.append(first);
  buffer.append(second);
  const inside = buffer.slice(1010n, 20);
  assert.equal(inside.buffer, first.buffer, 'a view of the appended chunk');
  assert.deepEqual(Buffer.from(inside), filled(20, 10));
  const across = buffer.slice(1050n, 100);
  assert.deepEqual(Buffer.from(across), filled(100, 50));
  assert.equal(buffer.slice(1050n, 100), across, 'the same slice again is the same bytes object');
  const shorter = buffer.slice(1050n, 80);
  assert.notEqual(shorter, across);
  assert.deepEqual(Buffer.from(shorter), filled(80, 50));
  assert.deepEqual(Buffer.from(buffer.slice(1150n, 500)), filled(50, 150), 'capped at the end');
});

test('WAL dropped below an LSN is no longer held', () => {
  const buffer = new WalBuffer(0n);
  buffer.append(filled(10, 0));
  buffer.append(filled(10, 10));
  buffer.dropBefore(15n);
  assert.equal(buffer.startLsn, 10n, 'only whole chunks are dropped');
  assert.throws(() => buffer.slice(5n, 1), /is not held/);
  assert.deepEqual(Buffer.from(buffer.slice(10n, 10)), filled(10, 10));
});
