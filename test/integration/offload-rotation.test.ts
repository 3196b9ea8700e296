// WAL offload on a neon_local cluster with rotating failures (neon-reference §9.4): each
// safekeeper in turn is SIGKILLed, one more segment is pushed, and a live safekeeper's backup_lsn
// reaches the end of the last complete segment within 20 s with the object in the bucket at the
// right size; then the victim comes back. Never more than one safekeeper leads the offload at a
// time (sampled from every live safekeeper's leader gauge), and the bucket ends with every
// complete segment, no gap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { segmentFileName } from '../../src/postgres/segment-name.js';
import type { LocalCluster, StorageListing } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, createTimelineCli } from '../helpers/cluster.js';

const MIB = 1024 * 1024;
const TENANT = '0ff10ad00ff10ad00ff10ad00ff10ad0';
const TIMELINE = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
const REF = `${TENANT}/${TIMELINE}`;

async function leaderGauge(cluster: LocalCluster, id: number): Promise<number> {
  const config = await cluster.loadConfig();
  const sk = config.safekeepers.find((entry) => entry.id === id);
  assert.ok(sk);
  try {
    const text = await (
      await fetch(`http://127.0.0.1:${sk.httpPort}/metrics`, { signal: AbortSignal.timeout(1000) })
    ).text();
    const line = text.split('\n').find((l) => l.startsWith('safekeeper_wal_backup_leader'));
    return Number(line?.split(' ').at(-1) ?? 0);
  } catch {
    return 0;
  }
}

test(
  'offload with rotating failures: a live safekeeper uploads each new segment, one leader at a time',
  { timeout: 240_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, {
      safekeepers: 3,
      extraInit: { pageserver: false, electionTtl: '2s' },
    });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    await createTimelineCli(repoDir, TENANT, TIMELINE);
    assert.equal(
      (await runCliJson(['wal', 'push', REF, '--size', '1MiB'], { repoDir })).exitCode,
      0,
    );
    const config = await cluster.loadConfig();
    let maxLeaders = 0;
    let lastEnd: Lsn = 0n;
    for (const victim of [1, 2, 3]) {
      assert.equal((await runCli(['sk', 'kill', String(victim)], { repoDir })).exitCode, 0);
      const pushed = await runCliJson<{ end_lsn: string }>(['wal', 'push', REF, '--size', '1MiB'], {
        repoDir,
      });
      assert.equal(pushed.exitCode, 0, JSON.stringify(pushed.body));
      const end = parseLsn(pushed.body.result?.end_lsn ?? '0/0');
      lastEnd = (end / BigInt(MIB)) * BigInt(MIB);
      const live = [1, 2, 3].filter((id) => id !== victim);
      const liveId = live[0] as number;
      const started = Date.now();
      const reached = await pollUntil(
        async () => {
          const leaders = await Promise.all(live.map((id) => leaderGauge(cluster, id)));
          maxLeaders = Math.max(
            maxLeaders,
            leaders.reduce((a, b) => a + b, 0),
          );
          const status = await cluster.timelineStatus(REF, liveId);
          return parseLsn(status.backup_lsn) >= lastEnd ? status : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      assert.ok(
        reached,
        `victim ${victim}: safekeeper ${liveId}'s backup_lsn reached ${formatLsn(lastEnd)}`,
      );
      t.diagnostic(
        `victim ${victim}: backup_lsn ${reached.backup_lsn} after ${Date.now() - started} ms`,
      );
      const lastSegment = segmentFileName(lastEnd / BigInt(MIB) - 1n, MIB);
      const listing = await cluster.listStorage(
        `${config.remoteStorage.prefix}/${TENANT}/${TIMELINE}/`,
      );
      const object = listing.objects.find((o) => o.key.endsWith(`/${lastSegment}`));
      assert.equal(object?.size, MIB, `${lastSegment} in the bucket with its size`);
      assert.equal((await runCli(['sk', 'start', String(victim)], { repoDir })).exitCode, 0);
    }
    assert.ok(maxLeaders <= 1, `at most one leader at a time (saw ${maxLeaders})`);

    // Every complete segment is there once (a key exists once), none missing.
    const listed = await runCliJson<StorageListing>(
      ['storage', 'ls', `${config.remoteStorage.prefix}/${TENANT}/${TIMELINE}/`, '--recursive'],
      { repoDir },
    );
    const names = (listed.body.result?.objects ?? []).map((o) => o.key.split('/').at(-1));
    const expected: string[] = [];
    for (let segno = 1n; segno < lastEnd / BigInt(MIB); segno++)
      expected.push(segmentFileName(segno, MIB));
    assert.deepEqual(names, expected);
  },
);
