// `sk timeline inspect` on a cluster after a push, a checkpoint and an offload: the document
// carries every safekeeper, the pageserver, the bucket's segments and the election; the text fits
// 80 and 200 columns (Unicode and ASCII); a paused safekeeper is marked while the others are
// shown (exit 6); --watch redraws until Ctrl-C and exits 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { renderInspect } from '../../src/cli/ui/inspect-view.js';
import { visibleLength } from '../../src/cli/ui/table.js';
import { PLAIN } from '../../src/cli/ui/theme.js';
import type { InspectDocument } from '../../src/index.js';
import { CLI, runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, createTimelineCli } from '../helpers/cluster.js';

const TENANT = '1e5b1e5b1e5b1e5b1e5b1e5b1e5b1e5b';
const TIMELINE = '2f6c2f6c2f6c2f6c2f6c2f6c2f6c2f6c';
const REF = `${TENANT}/${TIMELINE}`;

test(
  'sk timeline inspect: the whole picture, fitting the terminal, under a fault, and --watch',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 3, extraInit: { electionTtl: '2s' } });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    await createTimelineCli(repoDir, TENANT, TIMELINE);
    assert.equal(
      (await runCliJson(['wal', 'push', REF, '--size', '5MiB'], { repoDir })).exitCode,
      0,
    );
    assert.equal(
      (await runCli(['pageserver', 'checkpoint', REF, '--wait'], { repoDir })).exitCode,
      0,
    );
    assert.equal(
      (await runCli(['sk', 'timeline', 'offload', REF, '--wait'], { repoDir })).exitCode,
      0,
    );

    const inspected = await runCliJson<InspectDocument>(['sk', 'timeline', 'inspect', REF], {
      repoDir,
    });
    assert.equal(inspected.exitCode, 0, JSON.stringify(inspected.body));
    const document = inspected.body.result;
    assert.ok(document);
    assert.deepEqual(
      document.safekeepers.map((a) => [a.id, a.state]),
      [
        [1, 'ok'],
        [2, 'ok'],
        [3, 'ok'],
      ],
    );
    assert.equal(document.pageserver?.state, 'ok');
    assert.equal(
      document.pageserver?.result?.uploaded_lsn,
      document.safekeepers[0]?.result?.commit_lsn,
    );
    assert.equal(document.s3.error, null);
    assert.equal(document.s3.segments?.first, '000000010000000000000001');
    assert.ok((document.s3.segments?.count ?? 0) >= 5);
    assert.deepEqual(document.s3.segments?.gaps, []);
    assert.deepEqual(document.s3.segments?.wrong_size, []);
    assert.equal(document.offload.error, null);

    for (const widthColumns of [80, 200])
      for (const unicode of [true, false]) {
        const text = renderInspect(document, PLAIN, { widthColumns, unicode });
        for (const line of text.split('\n'))
          assert.ok(visibleLength(line) <= widthColumns, `${widthColumns} columns: "${line}"`);
        assert.match(text, /^sk1 +[█▌·#+.]+$/m);
        assert.match(text, /^s3 +[█▌·#+.]+$/m);
        if (!unicode) assert.doesNotMatch(text, /[█▌·…]/, 'ASCII only');
      }

    // A paused safekeeper: its rows say so, the others are there, exit 6.
    assert.equal((await runCli(['sk', 'pause', '2'], { repoDir })).exitCode, 0);
    const paused = await runCli(['sk', 'timeline', 'inspect', REF], { repoDir });
    assert.equal((await runCli(['sk', 'resume', '2'], { repoDir })).exitCode, 0);
    assert.equal(paused.exitCode, 6);
    assert.match(paused.stdout, /^2 +paused$/m);
    assert.match(paused.stdout, /^1 +up +/m);
    assert.match(paused.stderr, /safekeeper 2: paused/);

    // --watch: redraws every second, exits 0 on Ctrl-C.
    const watching = execa(process.execPath, [CLI, 'sk', 'timeline', 'inspect', REF, '--watch'], {
      env: { NEON_REPO_DIR: repoDir, NO_COLOR: '1' },
      reject: false,
    });
    t.after(() => watching.kill('SIGKILL'));
    await new Promise((resolve) => setTimeout(resolve, 3500));
    watching.kill('SIGINT');
    const watched = await watching;
    assert.equal(watched.exitCode, 0, watched.stderr);
    const draws = watched.stdout
      .split('\u001b[H\u001b[2J')
      .filter((part) => part.includes('timeline '));
    assert.ok(draws.length >= 2, `${draws.length} draws in 3.5 s`);
  },
);
