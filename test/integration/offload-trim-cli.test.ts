// `sk timeline offload` and `sk timeline trim` as a user runs them after a push: trim first
// refuses (exit 5) naming the pageserver and the command that unblocks it; after a pageserver
// checkpoint and an offload (--wait: every object in the bucket at its size) a dry run lists what
// each safekeeper would remove and removes nothing (a paused safekeeper keeps its line); trim
// removes it; a second trim has nothing left. The background removal is slowed down so that only
// trim removes here.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNodeId } from '../../src/common/ids.js';
import type { LocalCluster, OffloadResult, TrimResult } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, createTimelineCli } from '../helpers/cluster.js';

const TENANT = '7a1e7a1e7a1e7a1e7a1e7a1e7a1e7a1e';
const TIMELINE = '0ff10ad10ff10ad10ff10ad10ff10ad1';
const REF = `${TENANT}/${TIMELINE}`;
const FIRST = '000000010000000000000001';

function exists(cluster: LocalCluster, id: number, name: string): Promise<boolean> {
  const dir = cluster.layout.safekeeper(parseNodeId(String(id))).dataDir;
  return access(join(dir, TENANT, TIMELINE, name)).then(
    () => true,
    () => false,
  );
}

test(
  'offload --wait, then trim: refused with the unblocking command, dry run, removal',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, {
      safekeepers: 3,
      extraInit: { walRemovalInterval: '1h', electionTtl: '2s' },
    });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    await createTimelineCli(repoDir, TENANT, TIMELINE);
    assert.equal(
      (await runCliJson(['wal', 'push', REF, '--size', '3MiB'], { repoDir })).exitCode,
      0,
    );

    const refused = await runCli(['sk', 'timeline', 'trim', REF, '--dry-run'], { repoDir });
    assert.equal(refused.exitCode, 5, refused.stderr);
    assert.match(refused.stderr, /nothing to trim: safekeeper 1: held back by the pageserver/);
    assert.match(refused.stderr, new RegExp(`neon_local pageserver checkpoint ${REF} --wait`));

    assert.equal(
      (await runCli(['pageserver', 'checkpoint', REF, '--wait'], { repoDir })).exitCode,
      0,
    );
    const offloaded = await runCliJson<OffloadResult>(
      ['sk', 'timeline', 'offload', REF, '--wait', '--timeout', '30s'],
      { repoDir },
    );
    assert.equal(offloaded.exitCode, 0, JSON.stringify(offloaded.body));
    assert.equal(offloaded.body.result?.backup_lsn, offloaded.body.result?.target_lsn);
    assert.equal(offloaded.body.result?.objects?.count, 3, 'segments 1-3 in the bucket');
    assert.equal(offloaded.body.result?.objects?.bytes, 3 * 1024 * 1024);

    const dry = await runCliJson<TrimResult>(['sk', 'timeline', 'trim', REF, '--dry-run'], {
      repoDir,
    });
    assert.equal(dry.exitCode, 0, JSON.stringify(dry.body));
    for (const sk of dry.body.result?.safekeepers ?? []) {
      assert.equal(sk.removable?.first, FIRST, `sk${sk.id} would remove from segment 1`);
      assert.equal(sk.removed, null);
    }
    for (const id of [1, 2, 3])
      assert.ok(await exists(cluster, id, FIRST), 'a dry run removes nothing');
    const text = await runCli(['sk', 'timeline', 'trim', REF, '--dry-run'], { repoDir });
    assert.match(
      text.stdout,
      /^safekeeper 1, 2, 3: would remove 000000010000000000000001\.\.000000010000000000000002 \(2 segments, 2\.0 MiB\)$/m,
    );

    // A paused safekeeper keeps its line (nothing trimmed there); the others are shown; exit 6.
    assert.equal((await runCli(['sk', 'pause', '3'], { repoDir })).exitCode, 0);
    const paused = await runCli(['sk', 'timeline', 'trim', REF, '--dry-run'], { repoDir });
    assert.equal((await runCli(['sk', 'resume', '3'], { repoDir })).exitCode, 0);
    assert.equal(paused.exitCode, 6, paused.stderr);
    assert.match(paused.stdout, /^safekeeper 1, 2: would remove 000000010000000000000001\.\./m);
    assert.match(paused.stdout, /^safekeeper 3: not trimmed: paused$/m);

    const trimmed = await runCliJson<TrimResult>(['sk', 'timeline', 'trim', REF, '--wait'], {
      repoDir,
    });
    assert.equal(trimmed.exitCode, 0, JSON.stringify(trimmed.body));
    for (const sk of trimmed.body.result?.safekeepers ?? [])
      assert.deepEqual(sk.removed, sk.removable, `sk${sk.id} removed what it listed`);
    for (const id of [1, 2, 3]) {
      assert.equal(await exists(cluster, id, FIRST), false, `segment 1 gone on sk${id}`);
      assert.ok(await exists(cluster, id, '000000010000000000000003'), `sk${id} keeps segment 3`);
    }
    const again = await runCli(['sk', 'timeline', 'trim', REF], { repoDir });
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /^safekeeper 1, 2, 3: nothing left to remove/m);
  },
);
