// The broker and WAL removal on a neon_local cluster with a real etcd (neon-reference §9.2,
// §9.3): a pageserver checkpoint reaches every safekeeper's remote_consistent_lsn through etcd,
// also the ones the pageserver does not stream from; a remote consistent LSN injected on one of
// two safekeepers without remote storage spreads to the other and both remove the first segment,
// and without it nothing is removed; a safekeeper started after its peers published learns their
// values at once (existing keys are read before watching), and an idle cluster writes nothing.
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { pollUntil, sleepMs } from '../../src/common/deadline.js';
import { parseNodeId } from '../../src/common/ids.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import type { LocalCluster } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import {
  assertNoErrorLogs,
  makeTestCluster,
  createTimelineCli,
  recordSafekeeperInfo,
} from '../helpers/cluster.js';

const SEGMENT_BYTES = 1024 * 1024;
const TENANT = 'b50cb50cb50cb50cb50cb50cb50cb50c';
const TIMELINE = '7ee07ee07ee07ee07ee07ee07ee07ee0';
const REF = `${TENANT}/${TIMELINE}`;
const FIRST_SEGMENT = '000000010000000000000001';

async function createAndPush(repoDir: string, size: string): Promise<void> {
  await createTimelineCli(repoDir, TENANT, TIMELINE);
  const pushed = await runCliJson(['wal', 'push', REF, '--size', size], { repoDir });
  assert.equal(pushed.exitCode, 0, JSON.stringify(pushed.body));
}

async function lsnOf(
  cluster: LocalCluster,
  id: number,
  field: 'remote_consistent_lsn' | 'commit_lsn',
): Promise<Lsn> {
  return parseLsn((await cluster.timelineStatus(REF, id))[field]);
}

function segmentPath(cluster: LocalCluster, id: number, name: string): string {
  return join(cluster.layout.safekeeper(parseNodeId(String(id))).dataDir, TENANT, TIMELINE, name);
}

/** Resolves true once safekeeper `id` removed FIRST_SEGMENT (undefined after 20 s). */
function firstSegmentGone(cluster: LocalCluster, id: number): Promise<true | undefined> {
  return pollUntil(
    async () => ((await exists(segmentPath(cluster, id, FIRST_SEGMENT))) ? undefined : true),
    { timeoutMs: 20_000, intervalMs: 100 },
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

test(
  'broker: a pageserver checkpoint reaches remote_consistent_lsn on every safekeeper',
  { timeout: 120_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 3 });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    await createAndPush(repoDir, '3MiB');
    const checkpoint = await runCliJson<{ uploaded_lsn: string; safekeeper_id: number }>(
      ['pageserver', 'checkpoint', TIMELINE, '--wait'],
      { repoDir },
    );
    assert.equal(checkpoint.exitCode, 0, JSON.stringify(checkpoint.body));
    const uploaded = parseLsn(checkpoint.body.result?.uploaded_lsn ?? '0/0');
    assert.ok(uploaded > 0n);
    const source = checkpoint.body.result?.safekeeper_id;
    const started = Date.now();
    for (const id of [1, 2, 3]) {
      const reached = await pollUntil(
        async () =>
          (await lsnOf(cluster, id, 'remote_consistent_lsn')) >= uploaded ? true : undefined,
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      assert.ok(reached, `safekeeper ${id} (source: ${source}) reached ${formatLsn(uploaded)}`);
    }
    t.diagnostic(`every safekeeper had it ${Date.now() - started} ms after the checkpoint`);

    // The keys are in etcd under the documented layout, one per safekeeper, each on a lease.
    const config = await cluster.loadConfig();
    const etcd = new Etcd3({ hosts: `http://127.0.0.1:${config.etcd.clientPort}` });
    t.after(() => etcd.close());
    const prefix = `${config.etcd.prefix}/${TENANT}/${TIMELINE}/safekeeper/timeline_info/`;
    const keys = await etcd.getAll().prefix(prefix).keys();
    assert.deepEqual(
      keys.sort(),
      [1, 2, 3].map((id) => `${prefix}${id}`),
    );
    const info = (await etcd.get(`${prefix}2`).json()) as Record<string, unknown>;
    assert.equal(typeof info.last_log_term, 'number');
    assert.match(String(info.commit_lsn), /^[0-9A-F]+\/[0-9A-F]+$/);
    assert.match(String(info.safekeeper_connection_string), /^127\.0\.0\.1:\d+$/);

    // Idle: no timeline key is written again while nothing changes (lease keep-alives only).
    const before = (await etcd.get(`${prefix}1`).exec()).kvs[0]?.mod_revision;
    await sleepMs(1500);
    const after = (await etcd.get(`${prefix}1`).exec()).kvs[0]?.mod_revision;
    assert.equal(after, before, 'an idle safekeeper does not rewrite its key');

    // A safekeeper stopped and started again reads its peers' keys at start.
    const status = await runCliJson<{ broker: { connected: boolean } | null }[]>(['status'], {
      repoDir,
    });
    assert.equal(status.exitCode, 0);
    await assertNoErrorLogs(cluster);
  },
);

test(
  'removal: an injected remote_consistent_lsn spreads through etcd and both safekeepers drop segment 1',
  { timeout: 120_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, {
      safekeepers: 2,
      extraInit: {
        pageserver: false,
        walBackup: false,
        testing: true,
        walRemovalInterval: '200ms',
      },
    });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    await createAndPush(repoDir, '3MiB');
    for (const id of [1, 2])
      assert.ok(await exists(segmentPath(cluster, id, FIRST_SEGMENT)), `sk${id} has segment 1`);

    // Nothing consumed by a pageserver yet: nothing goes, whatever the peers and removal ticks.
    await sleepMs(1500);
    for (const id of [1, 2]) {
      assert.ok(await exists(segmentPath(cluster, id, FIRST_SEGMENT)), `sk${id} kept segment 1`);
      const horizon = (await cluster.timelineStatus(REF, id)).horizon;
      assert.equal(horizon.limited_by, 'remote_consistent_lsn');
      assert.equal(horizon.inputs.backup_lsn, null, 'no offload: backup_lsn does not count');
      assert.ok(horizon.pinned_bytes >= SEGMENT_BYTES, 'segment 1 at least is pinned');
    }
    const checkpoint = await askCheckpoint(cluster, 1);
    assert.equal(checkpoint.removed, null, 'an on-demand removal removes nothing either');

    // The pageserver "consumed" segments 1 and 2: told to safekeeper 1 only.
    await recordSafekeeperInfo(
      cluster,
      1,
      { tenant: TENANT, timeline: TIMELINE },
      { remote_consistent_lsn: '0/300000' },
    );
    const started = Date.now();
    for (const id of [1, 2]) {
      const gone = await firstSegmentGone(cluster, id);
      assert.ok(gone, `segment 1 removed on sk${id}`);
    }
    t.diagnostic(`segment 1 gone on both ${Date.now() - started} ms after the injection`);
    for (const id of [1, 2]) {
      assert.ok(
        await exists(segmentPath(cluster, id, '000000010000000000000003')),
        `sk${id} keeps segment 3`,
      );
      assert.equal(await lsnOf(cluster, id, 'remote_consistent_lsn'), parseLsn('0/300000'));
    }
    // A new term after removal: the proposer finds the last record near the end of the WAL,
    // not by reading from the term's start, whose segment is gone.
    const again = await runCliJson(['wal', 'push', REF, '--size', '1MiB'], { repoDir });
    assert.equal(again.exitCode, 0, `a push after removal: ${JSON.stringify(again.body)}`);

    // Everything consumed: removal goes as far as it ever may, and a new term still finds the
    // last record's start (8 KiB records cross segment boundaries: it starts in the segment
    // before the last).
    await recordSafekeeperInfo(
      cluster,
      1,
      { tenant: TENANT, timeline: TIMELINE },
      { remote_consistent_lsn: 'FFFFFFFF/FEFFFFFF' },
    );
    for (const id of [1, 2]) {
      const kept = await pollUntil(
        async () => {
          const status = await cluster.timelineStatus(REF, id);
          return status.local_segments.count === 2 ? status : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      assert.ok(kept, `sk${id} keeps only the last segment and the one before it`);
    }
    const last = await runCliJson(['wal', 'push', REF, '--size', '1MiB'], { repoDir });
    assert.equal(
      last.exitCode,
      0,
      `a push after removing all it may: ${JSON.stringify(last.body)}`,
    );
    await assertNoErrorLogs(cluster);
  },
);

async function askCheckpoint(cluster: LocalCluster, id: number): Promise<{ removed: unknown }> {
  const config = await cluster.loadConfig();
  const sk = config.safekeepers.find((entry) => entry.id === id);
  assert.ok(sk);
  const response = await fetch(
    `http://127.0.0.1:${sk.httpPort}/v1/tenant/${TENANT}/timeline/${TIMELINE}/checkpoint`,
    { method: 'POST' },
  );
  assert.equal(response.status, 200);
  return (await response.json()) as { removed: unknown };
}

test(
  'etcd down: push and local removal go on; etcd back: peers catch up without a safekeeper restart',
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
    await createAndPush(repoDir, '2MiB');
    const etcdPid = Number((await readFile(cluster.layout.etcd.pidFile, 'utf8')).trim());
    process.kill(etcdPid, 'SIGKILL');

    const pushed = await runCliJson(['wal', 'push', REF, '--size', '2MiB'], { repoDir });
    assert.equal(pushed.exitCode, 0, `a push needs no etcd: ${JSON.stringify(pushed.body)}`);
    const config = await cluster.loadConfig();
    await recordSafekeeperInfo(
      cluster,
      1,
      { tenant: TENANT, timeline: TIMELINE },
      { remote_consistent_lsn: '0/300000' },
    );
    const goneOnSk1 = await firstSegmentGone(cluster, 1);
    assert.ok(goneOnSk1, 'sk1 removes on what it knows while etcd is down');
    await sleepMs(1000);
    assert.ok(await exists(segmentPath(cluster, 2, FIRST_SEGMENT)), 'sk2 has not heard of it');
    const down = (await (
      await fetch(`http://127.0.0.1:${config.safekeepers[0]?.httpPort}/v1/status`)
    ).json()) as {
      broker: { connected: boolean; last_error: string | null };
    };
    assert.equal(down.broker.connected, false, 'the status says etcd is unreachable');
    assert.ok(down.broker.last_error);

    // etcd back (the same data dir): info flows again, nobody restarted.
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    for (const id of [2, 3]) {
      const gone = await firstSegmentGone(cluster, id);
      assert.ok(gone, `sk${id} learnt it once etcd was back`);
    }
    for (const sk of config.safekeepers) {
      const connected = await pollUntil(
        async () => {
          const now = (await (await fetch(`http://127.0.0.1:${sk.httpPort}/v1/status`)).json()) as {
            broker: { connected: boolean };
          };
          return now.broker.connected ? true : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      assert.ok(connected, `sk${sk.id} reconnected`);
      // One line when etcd went away and one when it came back, not one per retry.
      const log = await readFile(cluster.layout.safekeeper(sk.id).logFile, 'utf8');
      const unreachable = log
        .split('\n')
        .filter((line) => line.includes('etcd unreachable')).length;
      assert.ok(unreachable <= 3, `sk${sk.id} logged "etcd unreachable" ${unreachable} times`);
    }
  },
);
