// The pageserver in a neon_local cluster, driven through the CLI as a user would: it streams a
// pushed timeline, `pageserver checkpoint --wait` uploads it and the safekeeper it streams from
// shows the uploaded end as remote_consistent_lsn, the objects are in the bucket with the right
// sizes, restarts of the pageserver and of that safekeeper never move it backwards, it survives
// its source being SIGKILLed mid-push, and a down or paused pageserver is reported, not hidden.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { pollUntil } from '../../src/common/deadline.js';
import { EMBEDDED_S3_CREDENTIALS } from '../../src/cluster/storage-credentials.js';
import { parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import type { PageserverTimelineDocument } from '../../src/protocol/pageserver-status.js';
import { createS3Client } from '../../src/remote-storage/s3-client.js';
import type { LocalCluster } from '../../src/index.js';
import { CLI, runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, createTimelineCli } from '../helpers/cluster.js';

const SEGMENT_BYTES = 1024 * 1024;
const TENANT = '7e5a7e5a7e5a7e5a7e5a7e5a7e5a7e5a';
const TIMELINE = 'c0ffeec0ffeec0ffeec0ffeec0ffee01';
const REF = `${TENANT}/${TIMELINE}`;

interface CheckpointJson {
  readonly uploaded_lsn: string;
  readonly objects: number;
  readonly bytes: number;
  readonly safekeeper_id: number | null;
  readonly remote_consistent_lsn: string | null;
}

async function pageserverTimeline(cluster: LocalCluster): Promise<PageserverTimelineDocument> {
  const found = (await cluster.pageserverTimelines()).find((doc) => doc.timeline_id === TIMELINE);
  assert.ok(found, 'the pageserver knows the timeline');
  return found;
}

/** Waits until the pageserver has received at least `target`. */
async function waitReceived(
  cluster: LocalCluster,
  target: Lsn,
): Promise<PageserverTimelineDocument> {
  const reached = await pollUntil(
    async () => {
      const doc = await pageserverTimeline(cluster).catch(() => undefined);
      return doc !== undefined && parseLsn(doc.received_lsn) >= target ? doc : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  assert.ok(reached, `the pageserver received up to ${target.toString(16)}`);
  return reached;
}

async function commitLsnOf(cluster: LocalCluster, id: number): Promise<Lsn> {
  return parseLsn((await cluster.timelineStatus(REF, id)).commit_lsn);
}

async function remoteConsistentOf(cluster: LocalCluster, id: number): Promise<Lsn> {
  return parseLsn((await cluster.timelineStatus(REF, id)).remote_consistent_lsn);
}

async function createTimeline(repoDir: string): Promise<void> {
  await createTimelineCli(repoDir, TENANT, TIMELINE);
}

async function push(repoDir: string, size: string): Promise<{ end_lsn: string }> {
  const pushed = await runCliJson<{ end_lsn: string }>(['wal', 'push', REF, '--size', size], {
    repoDir,
  });
  assert.equal(pushed.exitCode, 0, JSON.stringify(pushed.body));
  assert.ok(pushed.body.result);
  return pushed.body.result;
}

test(
  'pageserver checkpoint: remote_consistent_lsn on the source safekeeper, objects in the bucket, never backwards',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 3 });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    const status = await runCliJson<{ components: { name: string; state: string }[] }>(['status'], {
      repoDir,
    });
    assert.equal(
      status.body.result?.components.find((c) => c.name === 'pageserver')?.state,
      'ready',
    );
    await createTimeline(repoDir);
    await push(repoDir, '5MiB');
    const committed = await commitLsnOf(cluster, 1);
    await waitReceived(cluster, committed);

    const checkpoint = await runCliJson<CheckpointJson>(
      ['pageserver', 'checkpoint', TIMELINE, '--wait'],
      { repoDir },
    );
    assert.equal(checkpoint.exitCode, 0, JSON.stringify(checkpoint.body));
    const result = checkpoint.body.result;
    assert.ok(result?.safekeeper_id !== null && result?.safekeeper_id !== undefined);
    const uploaded = parseLsn(result.uploaded_lsn);
    assert.ok(uploaded >= committed, 'everything received was uploaded');
    assert.equal(result.remote_consistent_lsn, result.uploaded_lsn);
    const sourceId = result.safekeeper_id;
    assert.equal(await remoteConsistentOf(cluster, sourceId), uploaded);

    // The objects are there, with the sizes the checkpoint reported.
    const config = await cluster.loadConfig();
    const s3 = await createS3Client({
      endpoint: `http://127.0.0.1:${config.remoteStorage.port}`,
      region: config.remoteStorage.region,
      credentials: EMBEDDED_S3_CREDENTIALS,
    });
    t.after(() => s3.destroy());
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: config.remoteStorage.bucket,
        Prefix: `pageserver/${TENANT}/${TIMELINE}/`,
      }),
    );
    const objects = listed.Contents ?? [];
    assert.equal(objects.length, result.objects, JSON.stringify(objects.map((o) => o.Key)));
    assert.equal(
      objects.reduce((sum, object) => sum + (object.Size ?? 0), 0),
      result.bytes,
    );
    const complete = objects.filter((object) => /\/[0-9A-F]{24}$/.test(object.Key ?? ''));
    assert.ok(complete.length >= 5, 'five complete segments');
    for (const object of complete) assert.equal(object.Size, SEGMENT_BYTES, object.Key);

    // A pageserver crash and restart: what it reports never goes back.
    const pid = Number((await readFile(cluster.layout.pageserver.pidFile, 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    const restarted = await pageserverTimeline(cluster);
    assert.ok(parseLsn(restarted.uploaded_lsn) >= uploaded, 'uploaded_lsn survived the crash');
    assert.ok(parseLsn(restarted.durable_lsn) >= uploaded, 'the WAL on its disk survived too');
    assert.ok((await remoteConsistentOf(cluster, sourceId)) >= uploaded);

    // A restart of the safekeeper that learnt it.
    assert.equal((await runCli(['sk', 'restart', String(sourceId)], { repoDir })).exitCode, 0);
    assert.ok(
      (await remoteConsistentOf(cluster, sourceId)) >= uploaded,
      'the safekeeper kept remote_consistent_lsn across its restart',
    );

    // More WAL, and a checkpoint without --wait reports what it uploaded.
    await push(repoDir, '2MiB');
    await waitReceived(cluster, await commitLsnOf(cluster, 1));
    const second = await runCliJson<CheckpointJson>(['pageserver', 'checkpoint', REF], { repoDir });
    assert.equal(second.exitCode, 0, JSON.stringify(second.body));
    assert.ok(parseLsn(second.body.result?.uploaded_lsn ?? '0/0') > uploaded);

    // Less than a segment more: no persist rule fires, so only a clean stop keeps it.
    await push(repoDir, '256KiB');
    const small = await runCliJson<CheckpointJson>(['pageserver', 'checkpoint', REF, '--wait'], {
      repoDir,
    });
    assert.equal(small.exitCode, 0, JSON.stringify(small.body));
    const smallSource = small.body.result?.safekeeper_id ?? 1;
    const before = await cluster.timelineStatus(REF, smallSource);
    assert.equal((await runCli(['sk', 'restart', String(smallSource)], { repoDir })).exitCode, 0);
    const after = await cluster.timelineStatus(REF, smallSource);
    assert.equal(after.commit_lsn, before.commit_lsn, 'a clean stop keeps commit_lsn');
    assert.ok(
      parseLsn(after.remote_consistent_lsn) >= parseLsn(small.body.result?.uploaded_lsn ?? '0/0'),
      'and remote_consistent_lsn',
    );
  },
);

test(
  'the pageserver survives its source safekeeper being SIGKILLed mid-push',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 3 });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    await createTimeline(repoDir);
    await push(repoDir, '1MiB');
    const first = await waitReceived(cluster, await commitLsnOf(cluster, 1));
    const sourceId = first.source?.safekeeper_id;
    assert.ok(sourceId !== undefined, 'it streams from a safekeeper');

    const pushing = execa(
      process.execPath,
      [
        CLI,
        'wal',
        'push',
        REF,
        '--size',
        '8MiB',
        '--rate',
        '4MiB/s',
        '--json',
        '--repo-dir',
        repoDir,
      ],
      { reject: false },
    );
    await waitReceived(cluster, parseLsn(first.received_lsn) + BigInt(SEGMENT_BYTES));
    assert.equal((await runCli(['sk', 'kill', String(sourceId)], { repoDir })).exitCode, 0);
    const pushed = await pushing;
    assert.equal(pushed.exitCode, 0, pushed.stdout + pushed.stderr);
    const survivor = sourceId === 1 ? 2 : 1;
    const after = await waitReceived(cluster, await commitLsnOf(cluster, survivor));
    assert.notEqual(after.source?.safekeeper_id, sourceId, 'it switched to another safekeeper');
    // And it follows the next push from there.
    await push(repoDir, '1MiB');
    await waitReceived(cluster, await commitLsnOf(cluster, survivor));
  },
);

test('a down or paused pageserver is reported, not hidden', { timeout: 120_000 }, async (t) => {
  const cluster = await makeTestCluster(t, { safekeepers: 2 });
  const repoDir = cluster.repoDir;
  assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
  await createTimeline(repoDir);
  const unknown = await runCliJson(['pageserver', 'checkpoint', `${TENANT}/${'ab'.repeat(16)}`], {
    repoDir,
  });
  assert.equal(unknown.exitCode, 4, JSON.stringify(unknown.body));

  const pid = Number((await readFile(cluster.layout.pageserver.pidFile, 'utf8')).trim());
  process.kill(pid, 'SIGSTOP');
  try {
    const begunAt = performance.now();
    const paused = await runCliJson<{
      safekeepers: { state: string }[];
      pageserver: { paused: boolean };
    }>(['sk', 'timeline', 'list'], { repoDir });
    assert.ok(performance.now() - begunAt < 2000, 'a paused pageserver is known at once');
    assert.equal(paused.exitCode, 6);
    assert.deepEqual(
      paused.body.result?.safekeepers.map((answer) => answer.state),
      ['ok', 'ok'],
      'the safekeepers are still listed',
    );
    assert.equal(paused.body.result?.pageserver.paused, true);
    const text = await runCli(['sk', 'timeline', 'list'], { repoDir });
    assert.match(text.stdout, /^pageserver: paused$/m);
    const checkpoint = await runCliJson(['pageserver', 'checkpoint', REF], { repoDir });
    assert.equal(checkpoint.exitCode, 6);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  process.kill(pid, 'SIGKILL');
  const down = await runCli(['sk', 'timeline', 'list'], { repoDir });
  assert.equal(down.exitCode, 6);
  assert.match(down.stdout, /^pageserver: not running$/m);
  assert.match(down.stderr, /neon_local start/);
  const created = await runCli(['sk', 'timeline', 'create'], { repoDir });
  assert.equal(created.exitCode, 0, 'a timeline is created while the pageserver is down');
  assert.match(created.stdout, /pageserver: not running; it finds the timeline/);
});

test('a cluster without a pageserver says so', { timeout: 60_000 }, async (t) => {
  const cluster = await makeTestCluster(t, { safekeepers: 1, extraInit: { pageserver: false } });
  const repoDir = cluster.repoDir;
  assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
  await createTimeline(repoDir);
  const refused = await runCliJson(['pageserver', 'checkpoint', REF], { repoDir });
  assert.equal(refused.exitCode, 5, JSON.stringify(refused.body));
  assert.match(refused.body.error?.message ?? '', /runs no pageserver/);
  const listed = await runCliJson<{ pageserver: unknown }>(['sk', 'timeline', 'list'], { repoDir });
  assert.equal(listed.exitCode, 0);
  assert.equal(listed.body.result?.pageserver, null);
});
