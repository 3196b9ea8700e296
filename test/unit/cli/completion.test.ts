// The completion script, run by a real bash against a repo dir in a temp dir: commands by
// level, flags of the command typed, safekeeper ids and component names from the config,
// timeline ids (TENANT/TIMELINE and bare) from the safekeepers' directories.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderBashCompletion, type CompletedCommand } from '../../../src/cli/completion-script.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const TENANT = '9630a1b2c3d4e5f6a7b8c9d0e1f2812c';
const TIMELINE = '0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6';
const COMMANDS: CompletedCommand[] = [
  { id: 'logs', flags: ['--follow', '-f', '--json'], argument: 'component' },
  { id: 'sk kill', flags: ['--json'], argument: 'safekeeper' },
  { id: 'sk timeline list', flags: ['--wide', '--json'], argument: 'none' },
  { id: 'status', flags: ['--json'], argument: 'none' },
  { id: 'wal push', flags: ['--size', '--rate', '--json'], argument: 'timeline' },
];

test('bash completion of commands, flags and the repo dir ids', async (t) => {
  const dir = await makeTempDir(t);
  const repo = join(dir, 'repo');
  await mkdir(join(repo, 'safekeepers', 'sk12', TENANT, TIMELINE), { recursive: true });
  await writeFile(join(repo, 'config'), '[[safekeepers]]\nid = 1\n\n[[safekeepers]]\nid = 12\n');
  const script = join(dir, 'completion.sh');
  await writeFile(script, renderBashCompletion('neon_local', COMMANDS));
  const cases: [string[], string][] = [
    [['neon_local', ''], 'logs sk status wal'],
    [['neon_local', 'sk', ''], 'kill timeline'],
    [['neon_local', 'sk', 'timeline', ''], 'list'],
    [['neon_local', 'sk', 'kill', ''], '1 12'],
    [['neon_local', 'logs', 's'], 'storage sk1 sk12'],
    [['neon_local', 'wal', 'push', ''], `${TIMELINE} ${TENANT}/${TIMELINE}`],
    [['neon_local', 'wal', 'push', 'x', '--r'], '--rate'],
    [['neon_local', '--repo-dir', repo, 'sk', 'kill', ''], '1 12'],
  ];
  for (const [words, expected] of cases) {
    const env = words.includes('--repo-dir')
      ? { PATH: process.env.PATH ?? '' }
      : { PATH: process.env.PATH ?? '', NEON_REPO_DIR: repo };
    const quoted = words.map((word) => `'${word}'`).join(' ');
    const run = spawnSync(
      'bash',
      [
        '-c',
        `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _neon_local_complete; echo "\${COMPREPLY[*]}"`,
      ],
      { env, encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), expected, words.join(' '));
  }
});
