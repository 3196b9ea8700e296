// The README's programmatic-API example is this repository's test/examples/readme-example.ts,
// word for word (but for the import path), and it runs: a real cluster started, WAL pushed
// with safekeeper 3 killed, its status read, and every daemon gone once the example exits.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { pollUntil } from '../../src/common/deadline.js';
import { parseLsn } from '../../src/postgres/lsn.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { pidsMentioning } from '../helpers/cluster.js';

const EXAMPLE_SOURCE = join(PROJECT_ROOT, 'test', 'examples', 'readme-example.ts');
const EXAMPLE_COMPILED = join(PROJECT_ROOT, 'dist', 'test', 'examples', 'readme-example.js');
const README_BLOCK = /<!-- api-example -->\n+```ts\n([\s\S]*?)```/;

test('the README API example is the tested file', async () => {
  const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = README_BLOCK.exec(readme)?.[1];
  assert.ok(block, 'README.md has an <!-- api-example --> ts block');
  const source = await readFile(EXAMPLE_SOURCE, 'utf8');
  assert.equal(block, source.replace("from '../../src/index.js'", "from 'neon-local'"));
});

test('the README API example runs and leaves nothing behind', { timeout: 120_000 }, async () => {
  const run = await execa(process.execPath, [EXAMPLE_COMPILED], {
    reject: false,
    timeout: 110_000,
  });
  assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
  const [firstLine = '', secondLine = '', thirdLine = ''] = run.stdout.trim().split('\n');
  const offloaded = /^offloaded (\S+) \(on 1 and 2\), (\d+) in S3, trim: .*safekeeper 3: down/.exec(
    thirdLine,
  );
  assert.ok(offloaded, thirdLine);
  assert.ok(parseLsn(offloaded[1] ?? '0/0') > 0n && Number(offloaded[2]) >= 1, thirdLine);
  const [dir, firstEnd, secondCommit, flush] = firstLine.split(' ');
  const uploaded = /^uploaded (\S+), sk(\d+) shows it$/.exec(secondLine);
  assert.ok(uploaded, secondLine);
  assert.ok(
    parseLsn(uploaded[1] ?? '0/0') > 0n,
    'the checkpoint uploaded WAL and a safekeeper showed it',
  );
  assert.ok(dir !== undefined && firstEnd !== undefined && secondCommit !== undefined);
  assert.ok(parseLsn(secondCommit) > parseLsn(firstEnd), 'the second push went on from the first');
  assert.equal(flush, secondCommit, 'safekeeper 1 holds everything committed');
  // The lock helpers of the last commands may take a moment to see their parent gone.
  const leftover = await pollUntil(
    async () => ((await pidsMentioning(dir)).length === 0 ? true : undefined),
    { timeoutMs: 5000, intervalMs: 50 },
  );
  assert.equal(leftover, true, `processes left: ${(await pidsMentioning(dir)).join(', ')}`);
  await rm(dir, { recursive: true, force: true });
});
