import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireFileLock } from '../../../src/common/file-lock.js';
import { AppError } from '../../../src/common/errors.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

test('a held lock refuses a second holder until released', async (t) => {
  const path = join(await makeTempDir(t), '.lock');
  const first = await acquireFileLock(path, { waitMs: 0, what: 'test dir' });
  await assert.rejects(
    acquireFileLock(path, { waitMs: 0, what: 'test dir' }),
    (error: unknown) =>
      error instanceof AppError && /test dir is locked by another process/.test(error.message),
  );
  await assert.rejects(acquireFileLock(path, { waitMs: 150, what: 'test dir' }), AppError);
  const waiting = acquireFileLock(path, { waitMs: 5000, what: 'test dir' });
  await first.release();
  const second = await waiting;
  await second.release();
  await second.release(); // idempotent
});

test('the lock dies with its holder process', async (t) => {
  const path = join(await makeTempDir(t), '.lock');
  const script = `import('${new URL('../../../src/common/file-lock.js', import.meta.url).href}').then(async (m) => { await m.acquireFileLock(${JSON.stringify(path)}, { waitMs: 0, what: 'x' }); console.log('held'); setInterval(() => {}, 1000); });`;
  const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) =>
    holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve()),
  );
  await assert.rejects(
    acquireFileLock(path, { waitMs: 0, what: 'x' }),
    (error: unknown) =>
      error instanceof AppError &&
      error.message === `x is locked by another process (pid ${holder.pid})`,
    'the holder says who it is',
  );
  holder.kill('SIGKILL');
  const lock = await acquireFileLock(path, { waitMs: 5000, what: 'x' });
  await lock.release();
});

test('a process spawned while the lock is held does not inherit it', async (t) => {
  const path = join(await makeTempDir(t), '.lock');
  const lock = await acquireFileLock(path, { waitMs: 0, what: 'x' });
  // As `start` spawns the daemons while it holds the repo lock.
  const daemon = spawn('sleep', ['30'], { stdio: 'ignore', detached: true });
  t.after(() => daemon.kill('SIGKILL'));
  await lock.release();
  const again = await acquireFileLock(path, { waitMs: 0, what: 'x' });
  await again.release();
});

test('the lock belongs to the file, not to its name', async (t) => {
  const dir = await makeTempDir(t);
  const path = join(dir, '.lock');
  await writeFile(path, '');
  await link(path, join(dir, 'same.lock'));
  const lock = await acquireFileLock(path, { waitMs: 0, what: 'x' });
  t.after(() => lock.release());
  await assert.rejects(acquireFileLock(join(dir, 'same.lock'), { waitMs: 0, what: 'x' }), AppError);
  const other = await acquireFileLock(join(dir, 'other.lock'), { waitMs: 0, what: 'x' });
  await other.release();
});
