// bin/setup's warm-up (scripts/warm-code-caches.js): a throw-away cluster through a first
// session's commands. It must succeed silently on a healthy install, and leave neither its repo
// dir nor a process behind; every cache it warms is then marked as written at least once.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { randomPortOffset } from '../helpers/cluster.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const SCRIPT = join(PROJECT_ROOT, 'scripts', 'warm-code-caches.js');
/** The bundles a first session loads, each with a code cache and its count of warm writes. */
const WARMED_BUNDLES = [
  'cli.cjs',
  'safekeeper.cjs',
  'pageserver.cjs',
  's3-server.cjs',
  'vendor/oclif.cjs',
  'vendor/etcd3.cjs',
];

async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const args = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (args.includes(text)) found.push(`${pid}: ${args.replaceAll('\0', ' ')}`);
  }
  return found;
}

test('the warm-up runs its cluster silently and leaves nothing behind', async (t) => {
  const tempDir = await makeTempDir(t);
  const result = await execa(
    process.execPath,
    [SCRIPT, '--port-offset', String(randomPortOffset())],
    { env: { TMPDIR: tempDir }, reject: false, timeout: 120_000 },
  );
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.deepEqual(await readdir(tempDir), [], 'its repo dir is removed');
  assert.deepEqual(await processesMentioning(tempDir), [], 'no daemon of its cluster runs');
  for (const bundle of WARMED_BUNDLES) {
    const marker = join(PROJECT_ROOT, 'dist', 'bundle', `${bundle}.v8-cache.warm`);
    const writes = Number.parseInt(await readFile(marker, 'utf8'), 10);
    assert.ok(writes >= 1, `${bundle}: ${writes} warm writes`);
  }
});

test('a warm-up that cannot run says so and still exits 0', async (t) => {
  const tempDir = await makeTempDir(t);
  // A port offset that puts the pageserver above 65535: init refuses it.
  const result = await execa(process.execPath, [SCRIPT, '--port-offset', '60000'], {
    env: { TMPDIR: tempDir },
    reject: false,
    timeout: 60_000,
  });
  assert.equal(result.exitCode, 0);
  assert.match(
    result.stderr,
    /warming the code caches stopped at `neon_local init --port-offset 60000`: exited with code 2: error: invalid --port-offset/,
  );
  assert.match(result.stderr, /the first commands start slower/);
  assert.deepEqual(await readdir(tempDir), []);
});
