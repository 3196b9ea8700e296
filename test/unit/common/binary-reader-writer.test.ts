// BinaryWriter writes every field in place into one buffer that grows as needed: the bytes must
// not depend on where a growth happens, and a value out of its width is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryReader } from '../../../src/common/binary-reader.js';
import { BinaryWriter } from '../../../src/common/binary-writer.js';

function writeSample(writer: BinaryWriter): Buffer {
  return writer
    .u8(0xab)
    .u32(0x01020304)
    .i32BE(-2)
    .u64(0x1122334455667788n)
    .u64BE(0x1122334455667788n)
    .i64(-3n)
    .i64BE(-4n)
    .bytes(Buffer.from('0a0b0c', 'hex'))
    .hex('de200bd42b49cc1814412c7e592dd6e9')
    .cString('key')
    .string('text')
    .toBuffer();
}

const EXPECTED = Buffer.from(
  [
    'ab',
    '04030201',
    'fffffffe',
    '8877665544332211',
    '1122334455667788',
    'fdffffffffffffff',
    'fffffffffffffffc',
    '0a0b0c',
    'de200bd42b49cc1814412c7e592dd6e9',
    '6b657900',
    '0400000000000000',
    '74657874',
  ].join(''),
  'hex',
);

test('the bytes written are the same whatever the starting size (growth at every field)', () => {
  for (const initialBytes of [1, 2, 5, 9, 17, 33, 64, 128]) {
    assert.deepEqual(
      writeSample(new BinaryWriter(initialBytes)),
      EXPECTED,
      `initial ${initialBytes}`,
    );
  }
});

test('what was written reads back', () => {
  const reader = new BinaryReader(EXPECTED, 'sample');
  assert.equal(reader.u8('a'), 0xab);
  assert.equal(reader.u32('b'), 0x01020304);
  assert.equal(reader.i32BE('c'), -2);
  assert.equal(reader.u64('d'), 0x1122334455667788n);
  assert.equal(reader.u64BE('e'), 0x1122334455667788n);
  assert.equal(reader.i64('f'), -3n);
  assert.equal(reader.i64BE('g'), -4n);
  assert.deepEqual(reader.bytesView(3, 'h'), Buffer.from('0a0b0c', 'hex'));
  assert.equal(reader.bytesView(16, 'i').toString('hex'), 'de200bd42b49cc1814412c7e592dd6e9');
  assert.equal(reader.cString('j'), 'key');
  assert.equal(reader.string('k', 10, /^[a-z]+$/), 'text');
  reader.expectEnd();
  const again = new BinaryReader(EXPECTED, 'sample');
  again.skip(EXPECTED.indexOf('key'), 'up to the key');
  assert.equal(again.cStringBytes('key').toString('latin1'), 'key', 'a view without its NUL');
  assert.equal(again.u64('length of text'), 4n, 'the NUL is consumed');
});

test('headroom is left in front of what follows it', () => {
  const bytes = new BinaryWriter(2).headroom(5).u8(0xab).toBuffer();
  assert.equal(bytes.length, 6);
  assert.equal(bytes[5], 0xab);
});

test('values outside their width and malformed text are refused', () => {
  assert.throws(() => new BinaryWriter().u8(256), /outside/);
  assert.throws(() => new BinaryWriter().u32(-1), /outside/);
  assert.throws(() => new BinaryWriter().u64(-1n), /outside/);
  assert.throws(() => new BinaryWriter().i64(1n << 63n), /outside/);
  assert.throws(() => new BinaryWriter().cString('a\0b'), /NUL/);
  assert.throws(() => new BinaryWriter().hex('zz'), /not hex/);
  assert.throws(() => new BinaryWriter().hex('abc'), /not hex/);
});
