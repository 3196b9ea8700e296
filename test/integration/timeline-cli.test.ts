// `neon_local sk timeline create|list` against a running cluster: ids generated or given, the
// timeline on every safekeeper, 409 becomes exit 5, a down safekeeper exit 6, bad ids exit 2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, runCliJson } from '../helpers/cli.js';
import { assertNoErrorLogs, makeTestCluster } from '../helpers/cluster.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';

const TENANT = '5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e';
const TIMELINE = 'feedfacefeedfacefeedfacefeedface';

interface Listed {
  id: number;
  result?: TimelineStatus[];
  error?: { code: string };
}

test('sk timeline create and list', { timeout: 90_000 }, async (t) => {
  const cluster = await makeTestCluster(t, { safekeepers: 2 });
  const repoDir = cluster.repoDir;
  assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);

  const created = await runCliJson<{ tenant_id: string; safekeepers: { id: number }[] }>(
    [
      'sk',
      'timeline',
      'create',
      '--tenant-id',
      TENANT,
      '--timeline-id',
      TIMELINE,
      '--wal-seg-size',
      '1MiB',
    ],
    { repoDir },
  );
  assert.equal(created.exitCode, 0, JSON.stringify(created.body));
  assert.deepEqual(
    created.body.result?.safekeepers.map((entry) => entry.id),
    [1, 2],
  );

  const generated = await runCli(['sk', 'timeline', 'create', '--sk', '2'], { repoDir });
  assert.equal(generated.exitCode, 0, generated.stderr);
  const generatedTimeline = /^timeline ([0-9a-f]{32})$/m.exec(generated.stdout)?.[1];
  assert.ok(generatedTimeline, generated.stdout);
  assert.match(generated.stdout, /safekeeper 2: created/);

  const listed = await runCliJson<Listed[]>(['sk', 'timeline', 'list'], { repoDir });
  assert.equal(listed.exitCode, 0);
  const bySafekeeper = listed.body.result ?? [];
  assert.deepEqual(
    bySafekeeper.map((entry) => entry.result?.length),
    [1, 2],
  );
  const ours = bySafekeeper[0]?.result?.[0];
  assert.equal(ours?.timeline_id, TIMELINE);
  assert.equal(ours.flush_lsn, '0/0');
  assert.equal(ours.server.wal_seg_size, 1024 * 1024);
  const table = await runCli(['sk', 'timeline', 'list', '--tenant-id', TENANT], { repoDir });
  assert.match(
    table.stdout,
    new RegExp(`^2\\s+${TENANT}\\s+${TIMELINE}\\s+0\\s+0/0\\s+0/0\\s+-\\s+ok$`, 'm'),
  );

  const again = await runCliJson(
    ['sk', 'timeline', 'create', '--tenant-id', TENANT, '--timeline-id', TIMELINE],
    { repoDir },
  );
  assert.equal(again.exitCode, 5);
  assert.match(again.body.error?.message ?? '', /safekeeper 1, 2: .*already exists/);

  for (const bad of ['ABC', '../../etc/passwd', 'x'.repeat(32)]) {
    const refused = await runCliJson(['sk', 'timeline', 'create', '--tenant-id', bad], { repoDir });
    assert.equal(refused.exitCode, 2, bad);
    assert.match(refused.body.error?.message ?? '', /invalid tenant id/);
  }

  await assertNoErrorLogs(cluster);
  assert.equal((await runCli(['sk', 'kill', '2'], { repoDir })).exitCode, 0);
  const partial = await runCliJson(['sk', 'timeline', 'list'], { repoDir });
  assert.equal(partial.exitCode, 6);
  assert.match(partial.body.error?.message ?? '', /safekeeper 2 is not reachable/);
});
