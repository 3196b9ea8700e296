// Offload and removal through outages on a cluster: with S3 down, backup_lsn stops and removal
// never passes it, even when the pageserver and the peers are done; S3 back, offload catches up
// and removal follows. With etcd down no offload election can be held; etcd back, offload
// resumes without restarting any safekeeper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollUntil, sleepMs } from '../../src/common/deadline.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { parseSegmentFileName } from '../../src/postgres/segment-name.js';
import type { LocalCluster } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import {
  makeTestCluster,
  createTimelineCli,
  killByPidFile,
  recordSafekeeperInfo,
} from '../helpers/cluster.js';

const MIB = 1024 * 1024;
const TENANT = '0a7a0a7a0a7a0a7a0a7a0a7a0a7a0a7a';
const TIMELINE = '5e5a5e5a5e5a5e5a5e5a5e5a5e5a5e5a';
const REF = `${TENANT}/${TIMELINE}`;

async function backupOf(cluster: LocalCluster, id: number): Promise<Lsn> {
  return parseLsn((await cluster.timelineStatus(REF, id)).backup_lsn);
}

async function firstSegno(cluster: LocalCluster, id: number): Promise<bigint> {
  const first = (await cluster.timelineStatus(REF, id)).local_segments.first;
  assert.ok(first !== null);
  return parseSegmentFileName(first, MIB)?.segno ?? 0n;
}

async function push(repoDir: string, size: string): Promise<Lsn> {
  const pushed = await runCliJson<{ end_lsn: string }>(['wal', 'push', REF, '--size', size], {
    repoDir,
  });
  assert.equal(pushed.exitCode, 0, JSON.stringify(pushed.body));
  return parseLsn(pushed.body.result?.end_lsn ?? '0/0');
}

test(
  'S3 down: removal never passes backup_lsn; etcd down: offload waits, then resumes',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, {
      safekeepers: 3,
      extraInit: {
        pageserver: false,
        testing: true,
        walRemovalInterval: '200ms',
        electionTtl: '2s',
      },
    });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    await createTimelineCli(repoDir, TENANT, TIMELINE);
    const firstEnd = await push(repoDir, '2MiB');
    const firstTarget = (firstEnd / BigInt(MIB)) * BigInt(MIB);
    assert.ok(
      await pollUntil(
        async () => ((await backupOf(cluster, 1)) >= firstTarget ? true : undefined),
        {
          timeoutMs: 20_000,
          intervalMs: 100,
        },
      ),
      'the first segments are offloaded',
    );

    // S3 down: more WAL, and everything else consumed (pageserver and peers).
    await killByPidFile(cluster.layout.storage.pidFile);
    const secondEnd = await push(repoDir, '3MiB');
    await recordSafekeeperInfo(
      cluster,
      1,
      { tenant: TENANT, timeline: TIMELINE },
      { remote_consistent_lsn: formatLsn(secondEnd) },
    );
    await sleepMs(2000);
    for (const id of [1, 2, 3]) {
      const backup = await backupOf(cluster, id);
      assert.ok(
        backup < secondEnd - BigInt(MIB),
        `sk${id}: backup_lsn stopped at ${formatLsn(backup)}`,
      );
      const first = await firstSegno(cluster, id);
      assert.ok(
        first <= backup / BigInt(MIB),
        `sk${id} kept every segment from backup_lsn ${formatLsn(backup)} on (first ${first})`,
      );
      const status = await cluster.timelineStatus(REF, id);
      assert.equal(status.horizon.limited_by, 'backup_lsn');
    }

    // S3 back: offload catches up, and removal follows it.
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    const secondTarget = (secondEnd / BigInt(MIB)) * BigInt(MIB);
    for (const id of [1, 2, 3])
      assert.ok(
        await pollUntil(
          async () => ((await backupOf(cluster, id)) >= secondTarget ? true : undefined),
          {
            timeoutMs: 30_000,
            intervalMs: 100,
          },
        ),
        `sk${id}: backup_lsn caught up to ${formatLsn(secondTarget)} once S3 was back`,
      );
    assert.ok(
      await pollUntil(
        async () =>
          (await firstSegno(cluster, 1)) >= secondTarget / BigInt(MIB) - 1n ? true : undefined,
        { timeoutMs: 20_000, intervalMs: 100 },
      ),
      'removal followed backup_lsn',
    );

    // etcd down: no election, so no offload of new WAL; etcd back: it resumes by itself.
    // (The push comes after the election's TTL, 2 s, has passed: no one still holds a lease.)
    await killByPidFile(cluster.layout.etcd.pidFile);
    await sleepMs(3000);
    const thirdEnd = await push(repoDir, '2MiB');
    const thirdTarget = (thirdEnd / BigInt(MIB)) * BigInt(MIB);
    await sleepMs(1500);
    for (const id of [1, 2, 3])
      assert.ok(
        (await backupOf(cluster, id)) < thirdTarget,
        `sk${id}: nothing new is offloaded while etcd is down`,
      );
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    const started = Date.now();
    assert.ok(
      await pollUntil(
        async () => ((await backupOf(cluster, 1)) >= thirdTarget ? true : undefined),
        {
          timeoutMs: 30_000,
          intervalMs: 100,
        },
      ),
      `backup_lsn reached ${formatLsn(thirdTarget)} after etcd came back, no safekeeper restarted`,
    );
    t.diagnostic(`offload resumed ${Date.now() - started} ms after etcd was started again`);
  },
);
