// Bad input gets a clear error and the right exit code, and touches nothing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';
import { makeTempDir } from '../helpers/temp-dir.js';

test('a malformed config: exit 3 with the offending key named', { timeout: 60_000 }, async (t) => {
  const cluster = await makeTestCluster(t);
  const original = await readFile(cluster.layout.configFile, 'utf8');
  const cases: [string, string, RegExp][] = [
    [
      'port out of range',
      original.replace(/http_port = \d+/, 'http_port = 70000'),
      /safekeepers\[0\]\.http_port must be an integer from 1 to 65535 \(got 70000\)/,
    ],
    [
      'wrong type',
      original.replace(/client_port = \d+/, 'client_port = "x"'),
      /etcd\.client_port must be an integer/,
    ],
    [
      'unknown key',
      original.replace('[etcd]', '[etcd]\nclient_prot = 1'),
      /etcd\.client_prot is not a known key/,
    ],
    [
      'bad kind',
      original.replace('kind = "embedded"', 'kind = "gcs"'),
      /remote_storage\.kind must be one of embedded, minio, s3 \(got "gcs"\)/,
    ],
    ['not TOML', `${original}\n[[safekeepers]\n`, /not valid TOML/],
    [
      'duplicate id',
      original.replace(/id = 2/, 'id = 1'),
      /safekeepers\[1\]\.id repeats safekeeper id 1/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    await writeFile(cluster.layout.configFile, text);
    for (const command of [['status'], ['start'], ['sk', 'list']]) {
      const result = await runCliJson(command, { repoDir: cluster.repoDir });
      assert.equal(result.exitCode, 3, `${name}: ${command.join(' ')} exits 3`);
      assert.equal(result.body.error?.code, 'bad-config');
      assert.match(result.body.error?.message ?? '', pattern, name);
    }
  }
  await writeFile(cluster.layout.configFile, original);
  // The restored config is accepted: status answers with the table (exit 0 or 6, by readiness).
  const restored = await runCliJson<{ ready: boolean }>(['status'], { repoDir: cluster.repoDir });
  assert.ok(restored.body.result, JSON.stringify(restored.body));
  assert.equal(restored.exitCode, restored.body.result.ready ? 0 : 6);
});

test(
  'an unknown safekeeper id exits 4; a malformed one is a usage error',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await makeTestCluster(t);
    for (const command of ['start', 'stop', 'restart', 'kill', 'pause', 'resume']) {
      const result = await runCliJson(['sk', command, '42'], { repoDir: cluster.repoDir });
      assert.equal(result.exitCode, 4, `sk ${command} 42`);
      assert.match(result.body.error?.message ?? '', /no safekeeper with id 42/);
    }
    for (const bad of ['x', '-1', '1.5', '0']) {
      const result = await runCliJson(['sk', 'start', bad], { repoDir: cluster.repoDir });
      assert.equal(result.exitCode, 2, `sk start ${bad}`);
    }
    assert.equal((await runCli(['logs', 'sk42'], { repoDir: cluster.repoDir })).exitCode, 4);
    assert.equal(
      (await runCli(['stop', '--mode', 'gentle'], { repoDir: cluster.repoDir })).exitCode,
      2,
    );
    assert.equal(
      (await runCli(['start', '--timeout', 'soon'], { repoDir: cluster.repoDir })).exitCode,
      2,
    );
  },
);

test(
  'a repo dir that is not ours is refused and left untouched',
  { timeout: 60_000 },
  async (t) => {
    const dir = await makeTempDir(t);
    const foreign = join(dir, 'project');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'mine');
    for (const command of [['init'], ['start'], ['destroy', '--force'], ['stop']]) {
      const result = await runCliJson(command, { repoDir: foreign });
      assert.ok(
        result.exitCode === 5 || result.exitCode === 4,
        `${command.join(' ')} refused (exit ${result.exitCode})`,
      );
      assert.match(
        result.body.error?.message ?? '',
        /refusing to use .* as a neon_local repo dir|no neon_local cluster/,
      );
    }
    assert.deepEqual(await readdir(foreign), ['notes.txt']);
    assert.equal(await readFile(join(foreign, 'notes.txt'), 'utf8'), 'mine');

    const configLookalike = join(dir, 'gitlike');
    await mkdir(configLookalike);
    await writeFile(join(configLookalike, 'config'), '[core]\nbare = false\n');
    const result = await runCliJson(['start'], { repoDir: configLookalike });
    assert.equal(result.exitCode, 5);
    assert.deepEqual(await readdir(configLookalike), ['config']);
  },
);

test(
  'status on a missing cluster exits 4; init twice without --force exits 5',
  { timeout: 60_000 },
  async (t) => {
    const dir = await makeTempDir(t);
    const repoDir = join(dir, 'repo');
    for (const command of [
      ['status'],
      ['stop'],
      ['sk', 'kill', '1'],
      ['logs'],
      ['env'],
      ['destroy'],
    ]) {
      assert.equal((await runCli(command, { repoDir })).exitCode, 4, command.join(' '));
    }
    assert.equal(
      existsSync(repoDir),
      false,
      'commands that only read or stop never create the repo dir',
    );
    assert.equal((await runCli(['init', '--port-offset', '20000'], { repoDir })).exitCode, 0);
    const again = await runCliJson(['init'], { repoDir });
    assert.equal(again.exitCode, 5);
    assert.match(again.body.error?.hints.join(' ') ?? '', /--force/);
    assert.equal(
      (
        await runCli(['init', '--force', '--safekeepers', '1', '--port-offset', '20000'], {
          repoDir,
        })
      ).exitCode,
      0,
    );
    assert.match(await readFile(join(repoDir, 'config'), 'utf8'), /\[\[safekeepers\]\]\nid = 1\n/);
    assert.doesNotMatch(await readFile(join(repoDir, 'config'), 'utf8'), /id = 2/);
  },
);
