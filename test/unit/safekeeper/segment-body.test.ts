// A segment file as an upload body read into a pooled buffer, and the pool's rules.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import {
  BODY_CHUNK_BYTES,
  BodyBufferPool,
  segmentBody,
} from '../../../src/safekeeper/wal-backup/segment-body.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

async function drain(body: Readable): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  // Copies: the pushed chunks are views of the one buffer.
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return chunks;
}

test('the body yields exactly the file, in chunks of at most 1 MiB, into the given buffer', async (t) => {
  const dir = await makeTempDir(t);
  const content = randomBytes(3 * BODY_CHUNK_BYTES + 12_345);
  const path = join(dir, 'segment');
  await writeFile(path, content);
  const buffer = Buffer.alloc(content.length);
  const chunks = await drain(segmentBody(path, buffer));
  assert.deepEqual(
    chunks.map((chunk) => chunk.length),
    [BODY_CHUNK_BYTES, BODY_CHUNK_BYTES, BODY_CHUNK_BYTES, 12_345],
  );
  assert.ok(Buffer.concat(chunks).equals(content));
  assert.ok(buffer.equals(content), 'the data went through the given buffer');
});

test('only the first buffer.length bytes of a longer file are read', async (t) => {
  const dir = await makeTempDir(t);
  const content = randomBytes(2 * BODY_CHUNK_BYTES);
  const path = join(dir, 'segment');
  await writeFile(path, content);
  const chunks = await drain(segmentBody(path, Buffer.alloc(BODY_CHUNK_BYTES + 10)));
  assert.ok(Buffer.concat(chunks).equals(content.subarray(0, BODY_CHUNK_BYTES + 10)));
});

test('a file shorter than the segment, or a missing one, fails the body', async (t) => {
  const dir = await makeTempDir(t);
  const path = join(dir, 'short');
  await writeFile(path, randomBytes(BODY_CHUNK_BYTES + 100));
  await assert.rejects(
    drain(segmentBody(path, Buffer.alloc(2 * BODY_CHUNK_BYTES))),
    /ends at byte 1048676, before its size of 2097152/,
  );
  await assert.rejects(drain(segmentBody(join(dir, 'missing'), Buffer.alloc(10))), /ENOENT/);
});

test('the pool lends at most its capacity, reuses what is given back, forgets what is dropped', () => {
  const pool = new BodyBufferPool(2);
  const first = pool.take(1024);
  const second = pool.take(1024);
  assert.ok(first !== undefined && second !== undefined && first !== second);
  assert.equal(pool.take(1024), undefined, 'a third upload at once streams instead');
  pool.give(first);
  assert.equal(pool.take(1024), first, 'a given buffer is lent again');
  pool.drop();
  assert.equal(pool.lentCount, 1);
  const fresh = pool.take(1024);
  assert.ok(fresh !== undefined && fresh !== second, 'a dropped buffer is never lent again');
  pool.give(fresh);
  pool.give(first);
  assert.equal(pool.freeCount, 2);
  assert.equal(pool.lentCount, 0);
  // Another size is never handed out for this one.
  assert.equal(pool.take(2048)?.length, 2048);
  pool.drop();
  pool.release();
  assert.equal(pool.freeCount, 0);
});

test('the pool never holds more than its capacity, lent and kept together', () => {
  const pool = new BodyBufferPool(2);
  const small = pool.take(1024)!;
  pool.give(small);
  // Two of another size while the small one is kept: both are new.
  const first = pool.take(2048)!;
  const second = pool.take(2048)!;
  assert.equal(pool.lentCount, 2);
  pool.give(first);
  assert.equal(pool.freeCount, 1, 'the small one and one lent make 2: the given one goes');
  pool.give(second);
  assert.equal(pool.freeCount, 2);
});
