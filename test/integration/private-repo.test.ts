// Private data by default: after `start`, the repo dir and everything in it (config, env file,
// logs, pid files, etcd's and the S3 server's data, the safekeepers' WAL and control files) is
// owner-only; a repo dir that others can write is refused by `start` with exit 5 and a fix.
import assert from 'node:assert/strict';
import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';
import { pushOk } from '../helpers/wal-push.js';

/** Every path under `dir` whose mode lets group or others in, with its mode. */
async function findShared(dir: string): Promise<string[]> {
  const shared: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if (info.isSymbolicLink() || info.isSocket()) return;
    if ((info.mode & 0o077) !== 0) shared.push(`${path} ${(info.mode & 0o777).toString(8)}`);
    if (info.isDirectory()) for (const entry of await readdir(path)) await visit(join(path, entry));
  };
  await visit(dir);
  return shared;
}

test('the repo dir and everything in it is owner-only', { timeout: 90_000 }, async (t) => {
  const cluster = await makeTestCluster(t, { safekeepers: 3 });
  const repoDir = cluster.repoDir;
  const started = await runCli(['start'], { repoDir });
  assert.equal(started.exitCode, 0, started.stderr);
  await pushOk(repoDir, ['--size', '1MiB']);
  assert.deepEqual(await findShared(repoDir), []);
  const etcdLog = await runCli(['logs', 'etcd', '--raw', '--lines', '1000'], { repoDir });
  assert.doesNotMatch(etcdLog.stdout, /permission|0700/i, 'etcd does not warn about its data dir');

  assert.equal((await runCli(['stop'], { repoDir })).exitCode, 0);
  await chmod(repoDir, 0o777);
  const refused = await runCliJson(['start'], { repoDir });
  assert.equal(refused.exitCode, 5);
  assert.match(refused.body.error?.message ?? '', /can be written by other users \(mode 0777\)/);
  assert.ok(refused.body.error?.hints.some((hint) => hint.includes(`chmod 700 ${repoDir}`)));
  await chmod(repoDir, 0o700);
  assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
});
