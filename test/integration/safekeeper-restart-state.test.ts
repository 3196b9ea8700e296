// A safekeeper restarted in a cluster with a broker keeps its consensus and horizon state (term,
// commit, backup, peer horizon, remote consistent LSNs): exactly after a clean stop, within the
// one-segment persist lag after SIGKILL; and its background work resumes: it learns commit_lsn
// back from its peers and removes WAL once a peer tells it the pageserver consumed it.
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { parseNodeId } from '../../src/common/ids.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, createTimelineCli, recordSafekeeperInfo } from '../helpers/cluster.js';

const SEGMENT = 0x100000n;
const TENANT = '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e';
const TIMELINE = 'a11ca11ca11ca11ca11ca11ca11ca11c';
const REF = `${TENANT}/${TIMELINE}`;

interface Kept {
  term: number;
  commit: Lsn;
  backup: Lsn;
  peerHorizon: Lsn;
  remoteConsistent: Lsn;
}

function keptOf(status: TimelineStatus): Kept {
  return {
    term: status.acceptor_state.term,
    commit: parseLsn(status.commit_lsn),
    backup: parseLsn(status.backup_lsn),
    peerHorizon: parseLsn(status.peer_horizon_lsn),
    remoteConsistent: parseLsn(status.remote_consistent_lsn),
  };
}

test(
  'restart keeps term and horizon LSNs (clean: exactly, SIGKILL: within a segment) and resumes the background work',
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
    assert.equal(
      (await runCliJson(['wal', 'push', REF, '--size', '3MiB'], { repoDir })).exitCode,
      0,
    );
    // wal push tells every acceptor, before it ends, the WAL all of them flushed.
    for (const id of [1, 2, 3]) {
      const status = await cluster.timelineStatus(REF, id);
      assert.equal(status.peer_horizon_lsn, status.commit_lsn, `sk${id}: peer_horizon_lsn`);
    }
    // Persisted (more than a segment ahead), then moved on in memory only (less than one more).
    await recordSafekeeperInfo(
      cluster,
      2,
      { tenant: TENANT, timeline: TIMELINE },
      { backup_lsn: '0/180000', remote_consistent_lsn: '0/140000' },
    );
    await recordSafekeeperInfo(
      cluster,
      2,
      { tenant: TENANT, timeline: TIMELINE },
      { backup_lsn: '0/1C0000', remote_consistent_lsn: '0/190000' },
    );
    const before = keptOf(await cluster.timelineStatus(REF, 2));
    assert.equal(before.backup, parseLsn('0/1C0000'));
    assert.ok(before.term > 0 && before.commit > 0n && before.peerHorizon > 0n);

    assert.equal((await runCli(['sk', 'stop', '2'], { repoDir })).exitCode, 0);
    assert.equal((await runCli(['sk', 'start', '2'], { repoDir })).exitCode, 0);
    assert.deepEqual(
      keptOf(await cluster.timelineStatus(REF, 2)),
      before,
      'a clean stop keeps all',
    );

    // SIGKILL: what was only in memory may be lost, by less than a segment.
    await recordSafekeeperInfo(
      cluster,
      2,
      { tenant: TENANT, timeline: TIMELINE },
      { backup_lsn: '0/1F0000', remote_consistent_lsn: '0/1A0000' },
    );
    const beforeKill = keptOf(await cluster.timelineStatus(REF, 2));
    const pidFile = join(cluster.layout.safekeeper(parseNodeId('2')).dataDir, 'safekeeper.pid');
    process.kill(Number((await readFile(pidFile, 'utf8')).trim()), 'SIGKILL');
    assert.equal((await runCli(['sk', 'start', '2'], { repoDir })).exitCode, 0);
    const afterKill = keptOf(await cluster.timelineStatus(REF, 2));
    assert.equal(afterKill.term, beforeKill.term);
    for (const name of ['backup', 'peerHorizon', 'remoteConsistent'] as const) {
      assert.ok(afterKill[name] <= beforeKill[name], name);
      assert.ok(afterKill[name] + SEGMENT > beforeKill[name], `${name} within a segment`);
    }
    // commit_lsn comes back from the peers through etcd (same epoch), not from a compute.
    const commitBack = await pollUntil(
      async () => {
        const now = keptOf(await cluster.timelineStatus(REF, 2));
        return now.commit >= beforeKill.commit ? now : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.ok(commitBack, `commit_lsn ${formatLsn(beforeKill.commit)} learnt back from the peers`);

    // Removal resumed: a peer says the pageserver consumed segment 1; sk2 removes it.
    // More than a segment past what sk2 persisted, so that sk2 persists it (the horizon reads the
    // persisted values).
    await recordSafekeeperInfo(
      cluster,
      1,
      { tenant: TENANT, timeline: TIMELINE },
      { remote_consistent_lsn: '0/300000' },
    );
    const segment1 = join(
      cluster.layout.safekeeper(parseNodeId('2')).dataDir,
      TENANT,
      TIMELINE,
      '000000010000000000000001',
    );
    const gone = await pollUntil(
      () =>
        access(segment1).then(
          () => undefined,
          () => true,
        ),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    assert.ok(gone, 'sk2 removed segment 1 after its restart');
  },
);
