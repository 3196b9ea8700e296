// `neon_local sk timeline wait` on a running cluster: it returns as soon as a push commits (a
// long poll on the safekeepers' change events), says which safekeeper is paused or down when it
// times out (exit 7, within the timeout), waits for WAL removal with trimmed-before, and the
// long-poll route refuses bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WaitOutcome } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, createTimelineCli, recordSafekeeperInfo } from '../helpers/cluster.js';

const TENANT = '3a173a173a173a173a173a173a173a17';
const TIMELINE = '3b173b173b173b173b173b173b173b17';
const REF = `${TENANT}/${TIMELINE}`;

test(
  'sk timeline wait: a commit, a paused safekeeper, trimmed-before, bad input',
  { timeout: 120_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, {
      safekeepers: 3,
      extraInit: {
        pageserver: false,
        walBackup: false,
        testing: true,
        walRemovalInterval: '200ms',
      },
    });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    await createTimelineCli(repoDir, TENANT, TIMELINE);

    // Waiting for WAL that a push started after the wait will bring.
    const waiting = runCliJson<WaitOutcome[]>(
      ['sk', 'timeline', 'wait', REF, '--until', 'commit_lsn>=0/280000', '--timeout', '30s'],
      { repoDir },
    );
    const push = runCli(['wal', 'push', REF, '--size', '3MiB'], { repoDir });
    const waited = await waiting;
    assert.equal((await push).exitCode, 0);
    assert.equal(waited.exitCode, 0, JSON.stringify(waited.body));
    const outcome = waited.body.result?.[0];
    assert.equal(outcome?.reached, true);
    assert.deepEqual(
      outcome?.safekeepers.map((s) => s.id),
      [1, 2, 3],
    );

    // A paused safekeeper: exit 7 at the timeout, naming it; the others reached it.
    assert.equal((await runCli(['sk', 'pause', '3'], { repoDir })).exitCode, 0);
    const started = Date.now();
    const paused = await runCliJson<WaitOutcome[]>(
      ['sk', 'timeline', 'wait', REF, '--until', 'commit_lsn>=commit', '--timeout', '2s'],
      { repoDir },
    );
    const tookMs = Date.now() - started;
    assert.equal(paused.exitCode, 7);
    assert.match(paused.body.error?.message ?? '', /safekeeper 3: paused/);
    assert.ok(tookMs < 6000, `answered in ${tookMs} ms`);
    const states = paused.body.result?.[0]?.safekeepers ?? [];
    assert.deepEqual(
      states.map((s) => [s.id, s.reached]),
      [
        [1, true],
        [2, true],
        [3, false],
      ],
    );
    assert.equal((await runCli(['sk', 'resume', '3'], { repoDir })).exitCode, 0);

    // trimmed-before: the pageserver "consumed" everything below 0/300000 (told to one
    // safekeeper; the broker tells the others), and the wait returns once segments 1-2 are gone.
    const config = await cluster.loadConfig();
    const sk1 = config.safekeepers[0];
    assert.ok(sk1);
    const trimWait = runCliJson<WaitOutcome[]>(
      ['sk', 'timeline', 'wait', REF, '--until', 'trimmed-before=0/300000', '--timeout', '30s'],
      { repoDir },
    );
    await recordSafekeeperInfo(
      cluster,
      1,
      { tenant: TENANT, timeline: TIMELINE },
      { remote_consistent_lsn: '0/300000' },
    );
    const trimmed = await trimWait;
    assert.equal(trimmed.exitCode, 0, JSON.stringify(trimmed.body));
    for (const state of trimmed.body.result?.[0]?.safekeepers ?? [])
      assert.equal(state.value, '000000010000000000000003', `sk${state.id}'s first segment`);

    // The long-poll route: bad input is a 400 and nothing else.
    const base = `http://127.0.0.1:${sk1.httpPort}/v1/tenant/${TENANT}/timeline/${TIMELINE}/wait`;
    for (const query of [
      'lsn=write_lsn&at_least=0/1',
      'lsn=commit_lsn&at_least=zz',
      'lsn=commit_lsn&at_least=0/1&timeout_ms=99999999',
      'lsn=commit_lsn&at_least=0/1&timeout_ms=-1',
    ]) {
      const response = await fetch(`${base}?${query}`);
      assert.equal(response.status, 400, query);
    }
    const now = await fetch(`${base}?lsn=commit_lsn&at_least=0/1&timeout_ms=0`);
    assert.deepEqual(((await now.json()) as { reached: boolean }).reached, true);
  },
);
