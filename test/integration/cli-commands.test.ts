// env, logs and destroy as scripts use them.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, pidsMentioning } from '../helpers/cluster.js';

test('env, logs and destroy', { timeout: 90_000 }, async (t) => {
  const cluster = await makeTestCluster(t, { safekeepers: 2 });
  const repoDir = cluster.repoDir;
  const config = await cluster.loadConfig();

  const env = await runCli(['env'], { repoDir });
  assert.equal(env.exitCode, 0);
  const sourced = await execa(
    'bash',
    ['-c', `eval "$(cat)"; echo "$NEON_SK2_HTTP_URL $NEON_SAFEKEEPER_IDS $NEON_ETCD_ENDPOINTS"`],
    { input: env.stdout },
  );
  assert.equal(
    sourced.stdout,
    `http://127.0.0.1:${config.safekeepers[1]!.httpPort} 1,2 http://127.0.0.1:${config.etcd.clientPort}`,
  );

  assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
  const logs = await runCliJson<{ name: string; lines: string[] }[]>(
    ['logs', 'sk1', '--lines', '1'],
    { repoDir },
  );
  assert.equal(logs.exitCode, 0);
  assert.equal(logs.body.result?.[0]?.lines.length, 1);
  assert.match(logs.body.result?.[0]?.lines[0] ?? '', /"msg":"safekeeper started"/);
  const all = await runCli(['logs', '--lines', '1'], { repoDir });
  assert.match(
    all.stdout,
    /^\[sk2\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO: safekeeper 2: safekeeper started dataDir=\S+sk2 /m,
    'pino lines rendered for people, after the component prefix',
  );
  assert.match(all.stdout, /^\[storage\] /m);
  assert.doesNotMatch(all.stdout, /"level":/, 'no raw JSON without --raw');
  const raw = await runCli(['logs', 'sk2', '--lines', '1', '--raw'], { repoDir });
  assert.match(raw.stdout, /^\{"level":"info",.*"node":2,.*"msg":"safekeeper started"\}$/);

  const refused = await runCliJson(['destroy'], { repoDir });
  assert.equal(refused.exitCode, 5);
  assert.match(refused.body.error?.message ?? '', /still running/);
  assert.ok(existsSync(repoDir));

  const destroyed = await runCli(['destroy', '--force'], { repoDir });
  assert.equal(destroyed.exitCode, 0, destroyed.stderr);
  assert.equal(existsSync(repoDir), false);
  assert.deepEqual(await pidsMentioning(repoDir), []);
  assert.equal((await runCli(['status'], { repoDir })).exitCode, 4);
});
