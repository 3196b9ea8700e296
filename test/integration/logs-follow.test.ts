// `neon_local logs --follow` against a running cluster, as a person leaves it running: lines
// appended to the logs keep appearing (JSON rendered, plain text as it is), stderr stays free of
// Node warnings (a leaked abort listener per poll warned after ~2 s), and Ctrl-C exits 0.
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { test } from 'node:test';
import { execa } from 'execa';
import { Deadline, pollUntil } from '../../src/common/deadline.js';
import { parseNodeId } from '../../src/common/ids.js';
import { CLI, runCli } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';

/** Long enough for 25 polls of the follower (200 ms each); the warning came after 11. */
const FOLLOW_OBSERVED_MS = 5000;
const LINE_SHOWN_TIMEOUT_MS = 5000;
const POLL_INTERVAL_MS = 20;

test(
  'logs --follow shows appended lines for 5 s without warnings and exits 0 on SIGINT',
  { timeout: 90_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 1 });
    const repoDir = cluster.repoDir;
    const started = await runCli(['start'], { repoDir });
    assert.equal(started.exitCode, 0, started.stderr);

    const follower = execa(
      process.execPath,
      ['--trace-warnings', CLI, 'logs', '--follow', '--lines', '1'],
      { env: { NO_COLOR: '1', NEON_REPO_DIR: repoDir }, reject: false, stdin: 'ignore' },
    );
    t.after(() => follower.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    follower.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    follower.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const waitShown = async (text: string): Promise<void> => {
      const shown = await pollUntil(() => Promise.resolve(stdout.includes(text) || undefined), {
        timeoutMs: LINE_SHOWN_TIMEOUT_MS,
        intervalMs: POLL_INTERVAL_MS,
      });
      assert.ok(shown, `"${text}" shown by logs --follow; stdout:\n${stdout}\nstderr:\n${stderr}`);
    };
    await waitShown('[sk1] ');

    const skLog = cluster.layout.safekeeper(parseNodeId('1')).logFile;
    const storageLog = cluster.layout.storage.logFile;
    const observed = new Deadline(FOLLOW_OBSERVED_MS);
    let rounds = 0;
    while (!observed.isExpired()) {
      rounds++;
      const record = {
        level: 'info',
        time: new Date().toISOString(),
        component: 'safekeeper',
        node: 1,
        round: rounds,
        msg: 'follow test',
      };
      await appendFile(skLog, `${JSON.stringify(record)}\n`);
      await appendFile(storageLog, `follow test plain line ${rounds}\n`);
      await waitShown(`INFO: safekeeper 1: follow test round=${rounds}\n`);
      await waitShown(`[storage] follow test plain line ${rounds}\n`);
      assert.doesNotMatch(stderr, /warning/i, `no warning after ${rounds} rounds`);
    }
    assert.ok(rounds > 1);
    assert.match(
      stdout,
      /^\[sk1\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO: safekeeper 1: follow/m,
    );

    follower.kill('SIGINT');
    const result = await follower;
    assert.equal(result.exitCode, 0, `exit 0 on SIGINT; stderr:\n${stderr}`);
    assert.equal(stderr, '', 'nothing on stderr: no warning, no error');
  },
);
