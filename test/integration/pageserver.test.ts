// The pageserver daemon against a real cluster (three safekeepers, the embedded S3 server): it
// finds a pushed timeline through discovery and streams it (its segment bytes equal the
// safekeepers' up to the commit end); a checkpoint uploads objects with the right sizes and
// the safekeeper it streams from shows remote_consistent_lsn = uploaded_lsn; restarts never move
// uploaded_lsn back; it survives SIGKILL of its source mid-push and reaches the end of the next
// push from another safekeeper; its wait route answers when a position is reached or at the
// timeout; bad requests get JSON errors and never hurt it.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { pollUntil } from '../../src/common/deadline.js';
import type { NodeId } from '../../src/common/ids.js';
import { EMBEDDED_S3_CREDENTIALS } from '../../src/cluster/storage-credentials.js';
import type { LocalCluster } from '../../src/index.js';
import { formatLsn } from '../../src/postgres/lsn.js';
import { segmentFileName } from '../../src/postgres/segment-name.js';
import type {
  PageserverCheckpointDocument,
  PageserverTimelineDocument,
} from '../../src/protocol/pageserver-status.js';
import { createS3Client } from '../../src/remote-storage/s3-client.js';
import { runCli } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';
import {
  errorLines,
  pageserverArgs,
  startPageserver,
  stopPageserver,
  waitForTimeline,
  type RunningPageserver,
} from '../helpers/pageserver.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import {
  lsn,
  pushInBackground,
  pushOk,
  segmentsOf,
  TENANT,
  TIMELINE,
  TIMELINE_REF,
  timelineStatus,
  waitForFlushBeyond,
  walBytes,
} from '../helpers/wal-push.js';

const SEGMENT_BYTES = 16 * 1024 * 1024;
const BROKEN_TIMELINE = 'b20ce000b20ce000b20ce000b20ce000';
const TEST_OPTIONS = { timeout: 240_000 };

/** The safekeepers without the cluster's own pageserver: each test starts the one it drives. */
async function startCluster(t: TestContext): Promise<LocalCluster> {
  const cluster = await makeTestCluster(t, { safekeepers: 3, extraInit: { pageserver: false } });
  const started = await runCli(['start'], { repoDir: cluster.repoDir });
  assert.equal(started.exitCode, 0, started.stderr);
  return cluster;
}

async function checkpoint(pageserver: RunningPageserver): Promise<Response> {
  return fetch(`${pageserver.url}/v1/tenant/${TENANT}/timeline/${TIMELINE}/checkpoint`, {
    method: 'POST',
  });
}

/** The pageserver's local WAL [from, to) (its segment files, named as the safekeepers'). */
async function pageserverWal(dataDir: string, fromLsn: bigint, toLsn: bigint): Promise<Buffer> {
  const dir = join(dataDir, TENANT, TIMELINE);
  const segments = new Map<string, Buffer>();
  for (
    let segno = fromLsn / BigInt(SEGMENT_BYTES);
    segno * BigInt(SEGMENT_BYTES) < toLsn;
    segno++
  ) {
    const name = segmentFileName(segno, SEGMENT_BYTES);
    const bytes = await readFile(join(dir, name)).catch(() =>
      readFile(join(dir, `${name}.partial`)),
    );
    segments.set(name, bytes);
  }
  return walBytes(segments, fromLsn, toLsn);
}

async function bucketObjects(cluster: LocalCluster): Promise<Map<string, number>> {
  const config = await cluster.loadConfig();
  const s3 = await createS3Client({
    endpoint: `http://127.0.0.1:${config.remoteStorage.port}`,
    region: 'us-east-1',
    credentials: EMBEDDED_S3_CREDENTIALS,
  });
  try {
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: config.remoteStorage.bucket,
        Prefix: `pageserver/${TENANT}/${TIMELINE}/`,
      }),
    );
    return new Map((listed.Contents ?? []).map((object) => [object.Key!, object.Size!]));
  } finally {
    s3.destroy();
  }
}

test(
  'the pageserver streams a pushed timeline, checkpoints it to S3 and reports it to its source',
  TEST_OPTIONS,
  async (t) => {
    const cluster = await startCluster(t);
    const pushed = await pushOk(cluster.repoDir, ['--size', '40MiB']);
    const startLsn = lsn(pushed.start_lsn);
    const endLsn = lsn(pushed.end_lsn);
    const dataDir = await makeTempDir(t);
    const spec = await pageserverArgs(cluster, dataDir, {
      remoteStorage: true,
      extra: ['--checkpoint-interval', '1h'],
    });
    let pageserver = await startPageserver(t, spec);
    const streamed = await waitForTimeline(
      pageserver,
      TIMELINE_REF,
      (doc) => doc.received_lsn === pushed.end_lsn && doc.durable_lsn === pushed.end_lsn,
      'discovered and streamed to the end of the push',
    );
    assert.equal(streamed.state, 'streaming');
    assert.equal(streamed.uploaded_lsn, '0/0');
    const sourceId = streamed.source?.safekeeper_id;
    assert.ok(sourceId !== undefined, 'a source while streaming');
    const reference = walBytes(await segmentsOf(cluster, sourceId), startLsn, endLsn);
    const local = await pageserverWal(dataDir, startLsn, endLsn);
    assert.ok(local.equals(reference), 'the local WAL equals the safekeeper segments up to commit');

    // The wait route: a reached position answers at once, one not reached at its timeout, and
    // a wait for uploaded_lsn begun before the checkpoint answers when the checkpoint is done.
    const waitUrl = (lsnName: string, atLeast: string, timeoutMs: number): string =>
      `${pageserver.url}/v1/tenant/${TENANT}/timeline/${TIMELINE}/wait?lsn=${lsnName}&at_least=${atLeast}&timeout_ms=${timeoutMs}`;
    const waitJson = async (url: string): Promise<unknown> => (await fetch(url)).json();
    assert.deepEqual(await waitJson(waitUrl('durable_lsn', pushed.end_lsn, 0)), {
      lsn: 'durable_lsn',
      value: pushed.end_lsn,
      reached: true,
    });
    assert.deepEqual(await waitJson(waitUrl('received_lsn', formatLsn(endLsn + 1n), 50)), {
      lsn: 'received_lsn',
      value: pushed.end_lsn,
      reached: false,
    });
    const bad = await fetch(waitUrl('flush_lsn', pushed.end_lsn, 0));
    assert.equal(bad.status, 400);
    const refusal = (await bad.json()) as { error: { code: string; message: string } };
    assert.equal(refusal.error.code, 'bad-request');
    assert.match(refusal.error.message, /invalid lsn "flush_lsn"/);
    const uploadWait = waitJson(waitUrl('uploaded_lsn', pushed.end_lsn, 30_000));
    const answer = await checkpoint(pageserver);
    assert.equal(answer.status, 200, await answer.clone().text());
    const done = (await answer.json()) as PageserverCheckpointDocument;
    assert.equal(done.uploaded_lsn, pushed.end_lsn);
    assert.deepEqual(await uploadWait, {
      lsn: 'uploaded_lsn',
      value: pushed.end_lsn,
      reached: true,
    });
    const objects = await bucketObjects(cluster);
    const prefix = `pageserver/${TENANT}/${TIMELINE}/`;
    const expected = new Map<string, number>();
    const endSegno = endLsn / BigInt(SEGMENT_BYTES);
    for (let segno = startLsn / BigInt(SEGMENT_BYTES); segno < endSegno; segno++)
      expected.set(`${prefix}${segmentFileName(segno, SEGMENT_BYTES)}`, SEGMENT_BYTES);
    const tailBytes = Number(endLsn % BigInt(SEGMENT_BYTES));
    if (tailBytes > 0)
      expected.set(`${prefix}${segmentFileName(endSegno, SEGMENT_BYTES)}.partial`, tailBytes);
    assert.deepEqual(objects, expected);
    assert.equal(done.objects, expected.size);
    assert.equal(
      done.bytes,
      [...expected.values()].reduce((sum, bytes) => sum + bytes, 0),
    );
    const reported = await pollUntil(
      async () => {
        const status = await timelineStatus(cluster, sourceId);
        return status.remote_consistent_lsn === done.uploaded_lsn ? status : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    assert.ok(reported, `safekeeper ${sourceId} shows remote_consistent_lsn ${done.uploaded_lsn}`);

    // The source shows the pageserver as a replica with both kinds of feedback, and took them.
    const replica = reported.replicas.find((entry) => entry.application_name === 'pageserver');
    assert.ok(replica, `a pageserver replica in ${JSON.stringify(reported.replicas)}`);
    assert.equal(replica.pageserver_feedback?.ps_writelsn, pushed.end_lsn);
    assert.equal(replica.pageserver_feedback?.ps_flushlsn, pushed.end_lsn);
    assert.equal(replica.pageserver_feedback?.ps_applylsn, pushed.end_lsn);
    assert.equal(replica.standby_status?.flush_lsn, pushed.end_lsn);
    const sourceLog = await readFile(cluster.layout.safekeeper(sourceId as NodeId).logFile, 'utf8');
    assert.doesNotMatch(sourceLog, /malformed replica feedback/);

    // A second checkpoint with nothing new uploads nothing and keeps the LSN.
    const again = (await (await checkpoint(pageserver)).json()) as PageserverCheckpointDocument;
    assert.deepEqual(again, { uploaded_lsn: pushed.end_lsn, objects: 0, bytes: 0 });

    // Restarts (clean, then SIGKILL) never move uploaded_lsn back; streaming resumes. The second
    // start checkpoints by itself every 300 ms.
    const periodic = { ...spec, args: [...spec.args, '--checkpoint-interval', '300ms'] };
    for (const [signal, next] of [
      ['SIGTERM', spec],
      ['SIGKILL', periodic],
    ] as const) {
      const code = await stopPageserver(pageserver, signal);
      if (signal === 'SIGTERM') assert.equal(code, 0, pageserver.output().slice(-2000));
      pageserver = await startPageserver(t, next);
      const restarted = await waitForTimeline(
        pageserver,
        TIMELINE_REF,
        (doc) => doc.state === 'streaming',
        `streaming again after ${signal}`,
      );
      assert.equal(restarted.uploaded_lsn, pushed.end_lsn, `uploaded_lsn after ${signal}`);
      assert.equal(restarted.received_lsn, pushed.end_lsn, `received_lsn after ${signal}`);
    }
    const more = await pushOk(cluster.repoDir, ['--size', '2MiB']);
    const checkpointed = await waitForTimeline(
      pageserver,
      TIMELINE_REF,
      (doc) => doc.uploaded_lsn === more.end_lsn,
      'the next push streamed and checkpointed by the periodic checkpoint',
    );
    assert.ok(checkpointed.last_checkpoint_at !== null);
    const source = checkpointed.source!.safekeeper_id;
    const learnt = await pollUntil(
      async () =>
        (await timelineStatus(cluster, source)).remote_consistent_lsn === more.end_lsn
          ? true
          : undefined,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    assert.ok(learnt, `safekeeper ${source} learns the periodic checkpoint`);
    assert.deepEqual(errorLines(pageserver), []);
  },
);

test(
  'the pageserver survives SIGKILL of its source mid-push and streams the next push from another',
  TEST_OPTIONS,
  async (t) => {
    const cluster = await startCluster(t);
    const first = await pushOk(cluster.repoDir, ['--size', '1MiB']);
    const dataDir = await makeTempDir(t);
    const pageserver = await startPageserver(
      t,
      await pageserverArgs(cluster, dataDir, { remoteStorage: false }),
    );
    const streaming = await waitForTimeline(
      pageserver,
      TIMELINE_REF,
      (doc) => doc.received_lsn === first.end_lsn && doc.source !== null,
      'streaming the first push',
    );
    const victim = streaming.source!.safekeeper_id;
    const push = pushInBackground(cluster.repoDir, ['--size', '48MiB', '--rate', '16MiB/s']);
    await waitForFlushBeyond(cluster, victim, lsn(first.end_lsn) + 4n * 1024n * 1024n);
    const killed = await runCli(['sk', 'kill', String(victim)], { repoDir: cluster.repoDir });
    assert.equal(killed.exitCode, 0, killed.stderr);
    const pushed = await push;
    assert.equal(pushed.exitCode, 0, pushed.stderr);
    const next = await pushOk(cluster.repoDir, ['--size', '1MiB']);
    const caughtUp = await waitForTimeline(
      pageserver,
      TIMELINE_REF,
      (doc) => doc.received_lsn === next.end_lsn && doc.durable_lsn === next.end_lsn,
      'the end of the next push, from another safekeeper',
    );
    assert.notEqual(caughtUp.source?.safekeeper_id, victim);
    assert.equal(caughtUp.state, 'streaming');

    // A source that stops answering (SIGSTOP: its stream stalls, no connection error) is left
    // at the next discovery round.
    const restarted = await runCli(['sk', 'start', String(victim)], { repoDir: cluster.repoDir });
    assert.equal(restarted.exitCode, 0, restarted.stderr);
    const stalled = caughtUp.source!.safekeeper_id;
    const paused = await runCli(['sk', 'pause', String(stalled)], { repoDir: cluster.repoDir });
    assert.equal(paused.exitCode, 0, paused.stderr);
    t.after(() => runCli(['sk', 'resume', String(stalled)], { repoDir: cluster.repoDir }));
    const last = await pushOk(cluster.repoDir, ['--size', '1MiB']);
    const moved = await waitForTimeline(
      pageserver,
      TIMELINE_REF,
      (doc) => doc.received_lsn === last.end_lsn,
      'the push after the source was paused, from another safekeeper',
    );
    assert.notEqual(moved.source?.safekeeper_id, stalled);

    // Without remote storage a checkpoint is refused and nothing is reported uploaded.
    const refused = await checkpoint(pageserver);
    assert.equal(refused.status, 409);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'conflict');
    assert.equal(caughtUp.uploaded_lsn, '0/0');
    assert.deepEqual(errorLines(pageserver), []);
    const status = await timelineStatus(cluster, moved.source!.safekeeper_id);
    assert.equal(status.remote_consistent_lsn, formatLsn(0n));
  },
);

test('bad requests get JSON errors and the pageserver keeps serving', TEST_OPTIONS, async (t) => {
  const cluster = await makeTestCluster(t, { safekeepers: 1, extraInit: { pageserver: false } });
  const dataDir = await makeTempDir(t);
  // A timeline whose state file is damaged loads as broken; the daemon serves the rest.
  const brokenDir = join(dataDir, TENANT, BROKEN_TIMELINE);
  await mkdir(brokenDir, { recursive: true });
  await writeFile(join(brokenDir, 'timeline.json'), '{"format":"neon-local-pageserver-timeline"');
  // Nothing runs: discovery fails quietly (a warning) and the API still answers.
  const pageserver = await startPageserver(
    t,
    await pageserverArgs(cluster, dataDir, { remoteStorage: false }),
  );
  const cases: [string, string, string | undefined, number][] = [
    ['GET', '/v1/tenant/xyz/timeline/abc', undefined, 400],
    ['GET', `/v1/tenant/${TENANT}/timeline/${TIMELINE.toUpperCase()}`, undefined, 400],
    ['GET', `/v1/tenant/${TENANT}/timeline/${TIMELINE}`, undefined, 404],
    ['POST', `/v1/tenant/${TENANT}/timeline/${TIMELINE}/checkpoint`, undefined, 404],
    ['POST', '/v1/timeline', 'not json', 400],
    ['POST', '/v1/timeline', '{"tenant_id":"x","timeline_id":"y"}', 400],
    ['POST', '/v1/timeline', `{"tenant_id":"${TENANT}","timeline_id":"${TIMELINE}","x":1}`, 400],
    ['DELETE', '/v1/timelines', undefined, 405],
    ['GET', '/v2/nothing', undefined, 404],
  ];
  for (const [method, path, body, status] of cases) {
    const response = await fetch(`${pageserver.url}${path}`, { method, body: body ?? null });
    assert.equal(response.status, status, `${method} ${path}`);
    const error = (await response.json()) as { error?: { code: string; message: string } };
    assert.ok(error.error?.message, `${method} ${path} answers a JSON error`);
  }
  const create = (): Promise<Response> =>
    fetch(`${pageserver.url}/v1/timeline`, {
      method: 'POST',
      body: JSON.stringify({ tenant_id: TENANT, timeline_id: TIMELINE }),
    });
  const created = await create();
  assert.equal(created.status, 201);
  const document = (await created.json()) as { state: string; received_lsn: string };
  assert.deepEqual([document.state, document.received_lsn], ['no-safekeeper', '0/0']);
  assert.equal((await create()).status, 200);
  const list = (await (
    await fetch(`${pageserver.url}/v1/timelines`)
  ).json()) as PageserverTimelineDocument[];
  assert.deepEqual(
    list.map((entry) => [entry.timeline_id, entry.state]),
    [
      [TIMELINE, 'no-safekeeper'],
      [BROKEN_TIMELINE, 'broken'],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
  );
  const broken = list.find((entry) => entry.timeline_id === BROKEN_TIMELINE);
  assert.match(broken?.last_error ?? '', /timeline\.json is corrupt/);
  const metrics = await (await fetch(`${pageserver.url}/metrics`)).text();
  assert.match(metrics, /pageserver_received_lsn\{tenant_id="c0ffee00/);
  assert.match(metrics, /^pageserver_process_cpu_seconds_total [\d.e-]+$/m, 'at the first scrape');
  assert.match(
    metrics,
    /pageserver_http_requests_total\{method="POST",route="error",status="400"\} 3/,
  );

  assert.deepEqual(
    errorLines(pageserver).filter((line) => !line.includes('timeline is broken')),
    [],
  );
  assert.equal(errorLines(pageserver).length, 1, 'the broken timeline is logged once');
});
