// `sk timeline inspect` on a cluster after a push, a checkpoint and an offload: the document
// carries every safekeeper, the pageserver, the bucket's segments and the election; the text fits
// 80 and 200 columns (Unicode and ASCII); --watch redraws until Ctrl-C and exits 0; a paused or
// killed safekeeper is marked while the others are shown (exit 6); with etcd stopped the offload
// leader is unknown, and why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { renderInspect } from '../../src/cli/ui/inspect-view.js';
import { visibleLength } from '../../src/cli/ui/table.js';
import { PLAIN } from '../../src/cli/ui/theme.js';
import type { InspectDocument } from '../../src/index.js';
import { CLI, runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, createTimelineCli, killByPidFile } from '../helpers/cluster.js';

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

    // The LSNs as saved in each control file under the in-memory ones; the broker connected.
    const healthy = await runCli(['sk', 'timeline', 'inspect', REF], { repoDir });
    assert.equal(healthy.exitCode, 0, healthy.stderr);
    assert.match(healthy.stdout, /^ +saved +\d+\/[0-9A-F]+ +/m);
    assert.match(healthy.stdout, /^SK +BROKER +OFFLOAD +UPLOADS$/m);
    assert.match(healthy.stdout, /^1 +connected +(leader|eligible|campaigning) +/m);
    assert.equal(document.safekeepers[0]?.result?.node.broker?.connected, true);

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
    // Piped: one frame after another, no terminal control codes.
    const draws = [...watched.stdout.matchAll(/^timeline /gm)].length;
    assert.ok(draws >= 2, `${draws} draws in 3.5 s`);
    assert.ok(!watched.stdout.includes('\u001b'), 'no escape codes when piped');

    // A paused safekeeper: known from /proc at once (no deadline waited out), its rows say so,
    // the others are there, exit 6; the picture still fits 80 columns.
    assert.equal((await runCli(['sk', 'pause', '2'], { repoDir })).exitCode, 0);
    const paused = await runCli(['sk', 'timeline', 'inspect', REF], { repoDir });
    const pausedJson = await runCliJson<InspectDocument>(['sk', 'timeline', 'inspect', REF], {
      repoDir,
    });
    // --watch on a terminal (a pseudo-terminal of 80x24, util-linux `script`) with the fault:
    // every frame fits the screen, starts with its title and carries the problem as its last
    // lines, so nothing is written after a frame to scroll its top away.
    const onTerminal = await execa(
      'script',
      [
        '-qfec',
        `stty rows 24 cols 80; timeout -s INT 5 ${process.execPath} ${CLI} sk timeline inspect ${REF} --watch`,
        '/dev/null',
      ],
      { reject: false, env: { ...process.env, NEON_REPO_DIR: repoDir, NO_COLOR: '1' } },
    );
    const frames = onTerminal.stdout.split('\u001b[H').slice(1);
    assert.ok(frames.length >= 2, `${frames.length} frames: ${onTerminal.stdout.slice(0, 300)}`);
    for (const frame of frames) {
      const [inside = '', after = ''] = frame.split('\u001b[J');
      const lines = inside.replaceAll('\u001b[K', '').trimEnd().split(/\r?\n/);
      assert.ok(lines.length <= 23, `a frame of ${lines.length} lines on 24 rows`);
      assert.match(lines[0] ?? '', /^timeline /);
      assert.match(lines.at(-2) ?? '', /^error: inspecting /);
      assert.match(lines.at(-1) ?? '', /^hint: Resume safekeeper 2/);
      assert.doesNotMatch(after, /error:/, 'nothing written after the frame');
    }
    assert.equal((await runCli(['sk', 'resume', '2'], { repoDir })).exitCode, 0);
    assert.equal(paused.exitCode, 6);
    assert.match(paused.stdout, /^2 +paused$/m);
    assert.match(paused.stdout, /^1 +up +/m);
    assert.match(paused.stderr, /safekeeper 2: paused/);
    assert.equal(pausedJson.body.status, 6);
    assert.deepEqual(
      pausedJson.body.result?.safekeepers.map((a) => [a.id, a.state, a.paused]),
      [
        [1, 'ok', false],
        [2, 'not-responding', true],
        [3, 'ok', false],
      ],
    );
    assertFits(pausedJson.body.result);

    // A killed safekeeper: shown down, the others' rows and the rest of the picture are there.
    assert.equal((await runCli(['sk', 'kill', '3'], { repoDir })).exitCode, 0);
    const killed = await runCliJson<InspectDocument>(['sk', 'timeline', 'inspect', REF], {
      repoDir,
    });
    assert.equal(killed.body.status, 6);
    assert.deepEqual(
      killed.body.result?.safekeepers.map((a) => [a.id, a.state]),
      [
        [1, 'ok'],
        [2, 'ok'],
        [3, 'down'],
      ],
    );
    assert.equal(killed.body.result?.pageserver?.state, 'ok');
    assert.ok((killed.body.result?.s3.segments?.count ?? 0) >= 5);
    assertFits(killed.body.result);
    const killedText = await runCli(['sk', 'timeline', 'inspect', REF], { repoDir });
    assert.match(killedText.stdout, /^3 +down$/m);
    assert.match(killedText.stdout, /^sk3 +down$/m);

    // etcd stopped: the leader is unknown, said so with the reason; everything else is there.
    await killByPidFile(cluster.layout.etcd.pidFile);
    const noEtcd = await runCliJson<InspectDocument>(['sk', 'timeline', 'inspect', REF], {
      repoDir,
    });
    assert.equal(noEtcd.body.result?.offload.leader_node_id, null);
    assert.match(noEtcd.body.result?.offload.error ?? '', /^etcd at \S+ refuses connections$/);
    assert.equal(noEtcd.body.result?.safekeepers[0]?.state, 'ok');
    const noEtcdText = await runCli(['sk', 'timeline', 'inspect', REF], { repoDir });
    assert.match(
      noEtcdText.stdout,
      /^offload +leader unknown \(etcd at \S+ refuses connections\)$/m,
    );
  },
);

/** The text of `document` fits 80 and 200 columns, Unicode and ASCII. */
function assertFits(document: InspectDocument | undefined): void {
  assert.ok(document);
  for (const widthColumns of [80, 200])
    for (const unicode of [true, false])
      for (const line of renderInspect(document, PLAIN, { widthColumns, unicode }).split('\n'))
        assert.ok(visibleLength(line) <= widthColumns, `${widthColumns} columns: "${line}"`);
}
