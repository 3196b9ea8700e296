// The README's walkthrough, command for command: every line of its <!-- walkthrough --> block
// runs against a fresh cluster (initialised first with free ports, as `start` would on the
// default ports) and exits 0; the dry run and the trim say what the README says they say.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT, runCli } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';

const WALKTHROUGH_BLOCK = /<!-- walkthrough -->\n+```sh\n([\s\S]*?)```/;

test('the README walkthrough runs as written', { timeout: 180_000 }, async (t) => {
  const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = WALKTHROUGH_BLOCK.exec(readme)?.[1];
  assert.ok(block, 'README.md has a <!-- walkthrough --> sh block');
  const commands = block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  assert.ok(commands.length >= 8);
  const cluster = await makeTestCluster(t, { safekeepers: 3 });
  const outputs: string[] = [];
  for (const command of commands) {
    const words = command.split(/\s+/);
    assert.equal(words[0], 'neon_local', command);
    const result = await runCli(words.slice(1), { repoDir: cluster.repoDir });
    assert.equal(result.exitCode, 0, `${command}\n${result.stdout}\n${result.stderr}`);
    outputs.push(result.stdout);
  }
  const dryRun = outputs[commands.findIndex((c) => c.includes('trim') && c.includes('--dry-run'))];
  const trimmed =
    outputs[commands.findIndex((c) => c.includes('trim') && !c.includes('--dry-run'))];
  // The background removal (every 5 s) may get to a safekeeper first: nothing left there.
  for (const [what, text, verb] of [
    ['dry run', dryRun ?? '', 'would remove'],
    ['trim', trimmed ?? '', 'removed'],
  ] as const) {
    assert.doesNotMatch(text, /held back/, what);
    const ids = [...text.matchAll(/^safekeeper ([\d, ]+): (.*)$/gm)].flatMap((line) => {
      const outcome = line[2] ?? '';
      assert.ok(
        outcome.startsWith(`${verb} 000000010000000000000001 (1 segment, 16.0 MiB)`) ||
          outcome.startsWith('nothing left to remove'),
        `${what}: ${outcome}`,
      );
      return (line[1] ?? '').split(', ');
    });
    assert.deepEqual(ids.sort(), ['1', '2', '3'], `${what} names every safekeeper`);
  }
  const lastInspect =
    outputs[commands.lastIndexOf(commands.filter((c) => c.includes('inspect')).at(-1) ?? '')];
  assert.match(lastInspect ?? '', /^1 +0\/2\.\.0\/3 \(2, 32\.0 MiB\)/m, 'segment 1 is gone');
});
