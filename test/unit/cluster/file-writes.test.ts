import assert from 'node:assert/strict';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { watchFileWrites } from '../../../src/cluster/process/file-writes.js';
import { pollUntil } from '../../../src/common/deadline.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const WAIT_MAX_MS = 5000;

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

test('a write wakes the waiting signal; a write between two waits is not lost', async (t) => {
  const path = join(await makeTempDir(t), 'daemon.log');
  await writeFile(path, '');
  const writes = watchFileWrites(path);
  t.after(() => writes.close());
  assert.equal(writes.watching, true);
  const first = writes.nextWrite();
  assert.equal(first.aborted, false);
  await appendFile(path, 'started\n');
  await aborted(first);
  await appendFile(path, 'again\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(writes.nextWrite().aborted, true, 'the write since the last call');
  assert.equal(writes.nextWrite().aborted, false, 'then a fresh signal');
});

test('a file that cannot be watched falls back to short wake-ups', async (t) => {
  const writes = watchFileWrites(join(await makeTempDir(t), 'missing.log'));
  assert.equal(writes.watching, false);
  const begunAt = Date.now();
  // The fallback's timer does not hold the event loop (a poll's own sleep does): this one does.
  const keepAlive = setTimeout(() => undefined, WAIT_MAX_MS);
  await aborted(writes.nextWrite());
  clearTimeout(keepAlive);
  assert.ok(Date.now() - begunAt < WAIT_MAX_MS);
  writes.close();
});

test('pollUntil probes again as soon as its wake signal aborts', async () => {
  const controller = new AbortController();
  let probes = 0;
  const begunAt = Date.now();
  const outcome = await pollUntil(
    () => {
      probes++;
      if (probes === 1) setTimeout(() => controller.abort(), 10);
      return Promise.resolve(probes === 2 ? 'woken' : undefined);
    },
    { timeoutMs: WAIT_MAX_MS, intervalMs: WAIT_MAX_MS, wake: () => controller.signal },
  );
  assert.equal(outcome, 'woken');
  assert.ok(Date.now() - begunAt < WAIT_MAX_MS / 2, 'not after the interval');
});
