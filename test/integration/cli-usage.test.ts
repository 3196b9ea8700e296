// The CLI at its edges, as a user meets it: unknown commands and flags get a did-you-mean in
// our error style (and in the --json envelope), never oclif's `sk:lsit`; integer flag errors
// name the flag; the completion script is valid bash; `status` exits 0 when every component is
// ready and 6 when one is down or paused, still printing the whole table or document.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ClusterStatus } from '../../src/index.js';
import { execa } from 'execa';
import { PROJECT_ROOT, runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';

test('unknown commands and flags, bad integers: usage errors with a did-you-mean', async () => {
  const typo = await runCli(['sk', 'lsit']);
  assert.equal(typo.exitCode, 2);
  assert.match(typo.stderr, /^error: unknown command "sk lsit"$/m);
  assert.match(typo.stderr, /^hint: Did you mean `neon_local sk list`\?$/m);
  assert.doesNotMatch(typo.stderr + typo.stdout, /sk:lsit/);
  const json = await runCliJson(['sk', 'lsit']);
  assert.equal(json.exitCode, 2);
  assert.equal(json.body.error?.code, 'usage');
  assert.ok(json.body.error?.hints.includes('Did you mean `neon_local sk list`?'));

  const flag = await runCli(['wal', 'push', 'x', '--sizee', '1MiB']);
  assert.equal(flag.exitCode, 2);
  assert.match(flag.stderr, /^error: unknown flag --sizee$/m);
  assert.match(flag.stderr, /^hint: Did you mean --size\?$/m);
  const integer = await runCliJson(['logs', '--lines', 'many']);
  assert.equal(integer.exitCode, 2);
  assert.equal(integer.body.error?.message, 'invalid --lines "many": expected an integer');

  for (const shell of ['bash', 'zsh']) {
    const completion = await runCli(['completion', shell]);
    assert.equal(completion.exitCode, 0, completion.stderr);
    assert.match(completion.stdout, /complete -F _neon_local_complete neon_local/);
    if (shell === 'bash') {
      const syntax = spawnSync('bash', ['-n'], { input: completion.stdout, encoding: 'utf8' });
      assert.equal(syntax.status, 0, syntax.stderr);
    }
  }
});

test('after bin/setup as root, neon_local runs by name from any directory', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('bin/setup links neon_local only when run as root');
    return;
  }
  const link = '/usr/local/bin/neon_local';
  assert.equal(await realpath(link), await realpath(join(PROJECT_ROOT, 'bin', 'run.js')));
  const help = await execa('neon_local', ['--help'], {
    cwd: '/',
    env: { PATH: `/usr/local/bin:${process.env.PATH ?? ''}` },
    reject: false,
  });
  assert.equal(help.exitCode, 0, help.stderr);
  assert.match(help.stdout, /^USAGE\n {2}\$ neon_local \[COMMAND\]$/m);
});

test(
  'status: exit 0 when all are ready, 6 when one is down or paused',
  { timeout: 90_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 3 });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    const ready = await runCliJson<ClusterStatus>(['status'], { repoDir });
    assert.equal(ready.exitCode, 0);
    assert.equal(ready.body.result?.ready, true);

    assert.equal((await runCli(['sk', 'kill', '2'], { repoDir })).exitCode, 0);
    const down = await runCliJson<ClusterStatus>(['status'], { repoDir });
    assert.equal(down.exitCode, 6);
    assert.equal(down.body.result?.components.length, 6, 'the whole document');
    assert.match(down.body.error?.message ?? '', /^not ready: sk2 \(down\)$/);
    const text = await runCli(['status'], { repoDir });
    assert.equal(text.exitCode, 6);
    assert.match(text.stdout, /^sk1\s+ready/m);
    assert.match(text.stdout, /^sk2\s+down/m);

    assert.equal((await runCli(['sk', 'start', '2'], { repoDir })).exitCode, 0);
    assert.equal((await runCli(['sk', 'pause', '3'], { repoDir })).exitCode, 0);
    const paused = await runCliJson<ClusterStatus>(['status'], { repoDir });
    assert.equal((await runCli(['sk', 'resume', '3'], { repoDir })).exitCode, 0);
    assert.equal(paused.exitCode, 6);
    assert.match(paused.body.error?.message ?? '', /sk3 \(paused\)/);
  },
);
