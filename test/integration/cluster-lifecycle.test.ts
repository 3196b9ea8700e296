// The default cluster end to end through the CLI: start, status, real etcd and S3 traffic,
// safekeeper status, stop (no process left, every port free), start again.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Etcd3 } from 'etcd3';
import { createS3Client } from '../../src/remote-storage/s3-client.js';
import { isPortFree } from '../../src/cluster/process/ports.js';
import { RepoLayout } from '../../src/cluster/repo-layout.js';
import { EMBEDDED_S3_CREDENTIALS } from '../../src/cluster/storage-credentials.js';
import type { ClusterStatus } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import {
  assertNoErrorLogs,
  createTimelineCli,
  makeTestCluster,
  pidsMentioning,
} from '../helpers/cluster.js';
import { pollUntil } from '../../src/common/deadline.js';

const OBJECT_SIZE_BYTES = 16 * 1024 * 1024;

function allPorts(status: ClusterStatus): number[] {
  return status.components.flatMap((c) => Object.values(c.ports));
}

const ALL_READY = {
  etcd: 'ready',
  storage: 'ready',
  sk1: 'ready',
  sk2: 'ready',
  sk3: 'ready',
  pageserver: 'ready',
};

const TENANT = '1c0ffee01c0ffee01c0ffee01c0ffee0';
const TIMELINE = '2c0ffee02c0ffee02c0ffee02c0ffee0';

test(
  'start, use, stop and start again a 3-safekeeper cluster with embedded storage',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await makeTestCluster(t);
    const repoDir = cluster.repoDir;

    const started = await runCliJson<{
      started: string[];
      components: { name: string; state: string; detail: string }[];
    }>(['start'], { repoDir });
    assert.equal(started.exitCode, 0, started.stderr);
    assert.deepEqual([...(started.body.result?.started ?? [])].sort(), [
      'etcd',
      'pageserver',
      'sk1',
      'sk2',
      'sk3',
      'storage',
    ]);
    // Our daemons said they were ready through their readiness notices, read as their probes'
    // answers would be; start asked none of them anything: the embedded S3 server logs every
    // request it answers, and the safekeepers count theirs.
    const details = Object.fromEntries(
      (started.body.result?.components ?? []).map((c) => [c.name, `${c.state}: ${c.detail}`]),
    );
    assert.match(details.sk2 ?? '', /^ready: id 2\b/);
    assert.equal(details.storage, 'ready: bucket neon-local');
    assert.equal(details.pageserver, 'ready: 0 timelines');
    const storageLog = await readFile(new RepoLayout(repoDir).storage.logFile, 'utf8');
    assert.match(storageLog, /listening on/);
    assert.doesNotMatch(storageLog, /^\S+ (HEAD|GET) /m, 'no request before status');
    const startConfig = await cluster.loadConfig();
    const metrics = await (
      await fetch(`http://127.0.0.1:${startConfig.safekeepers[0]!.httpPort}/metrics`)
    ).text();
    assert.doesNotMatch(metrics, /route="\/v1\/status"/, 'no /v1/status before status');

    const { body } = await runCliJson<ClusterStatus>(['status'], { repoDir });
    const status = body.result!;
    assert.equal(status.components.length, 6);
    for (const component of status.components) {
      assert.equal(component.state, 'ready', `${component.name}: ${component.detail}`);
      assert.ok(component.pid !== null && component.pid > 0, `${component.name} has a pid`);
      assert.ok(Object.keys(component.ports).length > 0, `${component.name} has ports`);
    }
    const config = await cluster.loadConfig();

    // etcd: a real put/get through the etcd3 client.
    const etcd = new Etcd3({ hosts: `http://127.0.0.1:${config.etcd.clientPort}` });
    try {
      await etcd.put('neon-local-test/key').value('value-1');
      assert.equal(await etcd.get('neon-local-test/key').string(), 'value-1');
    } finally {
      etcd.close();
    }

    // S3: 16 MiB buffer and a stream body round-trip byte-equal.
    const s3 = await createS3Client({
      endpoint: `http://127.0.0.1:${config.remoteStorage.port}`,
      region: 'us-east-1',
      credentials: EMBEDDED_S3_CREDENTIALS,
    });
    try {
      const payload = randomBytes(OBJECT_SIZE_BYTES);
      const bucket = config.remoteStorage.bucket;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big/object', Body: payload }));
      const streamed = randomBytes(3 * 1024 * 1024 + 17);
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'big/streamed',
          Body: Readable.from([streamed.subarray(0, 1000), streamed.subarray(1000)]),
          ContentLength: streamed.length,
        }),
      );
      for (const [key, expected] of [
        ['big/object', payload],
        ['big/streamed', streamed],
      ] as const) {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = Buffer.from(await got.Body!.transformToByteArray());
        assert.equal(bytes.length, expected.length, `${key} length`);
        assert.equal(
          createHash('sha256').update(bytes).digest('hex'),
          createHash('sha256').update(expected).digest('hex'),
          `${key} bytes`,
        );
      }
    } finally {
      s3.destroy();
    }

    // Each safekeeper answers /v1/status with its own id. Without a timeline its broker is idle:
    // it has not contacted etcd (nor loaded its client), and the status table says so.
    const brokerOf = async (httpPort: number) => {
      const response = await fetch(`http://127.0.0.1:${httpPort}/v1/status`);
      return (await response.json()) as {
        id: number;
        broker: { connected: boolean; idle: boolean; lease_id: string | null };
        wal_backup: { configured: boolean };
      };
    };
    for (const sk of config.safekeepers) {
      const skStatus = await brokerOf(sk.httpPort);
      assert.equal(skStatus.id, sk.id);
      assert.deepEqual(
        { connected: skStatus.broker.connected, idle: skStatus.broker.idle },
        { connected: false, idle: true },
      );
      // init gives the safekeepers the cluster's storage: they offload.
      assert.equal(skStatus.wal_backup.configured, true);
      const row = status.components.find((component) => component.name === `sk${sk.id}`);
      assert.match(row?.detail ?? '', /broker idle \(no timelines\)/);
    }
    // The first timeline wakes the broker: it connects and publishes under its lease.
    await createTimelineCli(repoDir, TENANT, TIMELINE);
    for (const sk of config.safekeepers) {
      const connected = await pollUntil(
        async () => {
          const { broker } = await brokerOf(sk.httpPort);
          return broker.connected && !broker.idle && broker.lease_id !== null ? true : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      assert.ok(connected, `sk${sk.id}'s broker connected once it had a timeline`);
    }
    await assertNoErrorLogs(cluster);

    const stopped = await runCli(['stop'], { repoDir });
    assert.equal(stopped.exitCode, 0, stopped.stderr);
    assert.deepEqual(await pidsMentioning(repoDir), [], 'no process of the cluster is left');
    for (const port of allPorts(status))
      assert.ok(await isPortFree(port), `port ${port} is free after stop`);

    const again = await runCli(['start'], { repoDir });
    assert.equal(again.exitCode, 0, again.stderr);
    const statusAgain = await cluster.status();
    assert.ok(
      statusAgain.ready,
      JSON.stringify(statusAgain.components.map((c) => [c.name, c.state])),
    );
    const twice = await runCliJson<{ started: string[]; alreadyRunning: string[] }>(['start'], {
      repoDir,
    });
    assert.equal(twice.exitCode, 0);
    assert.deepEqual(twice.body.result?.started, [], 'a second start starts nothing');
    assert.equal(twice.body.result?.alreadyRunning.length, 6);
  },
);

test(
  'sk kill, start, pause and resume change exactly one safekeeper',
  { timeout: 120_000 },
  async (t) => {
    const cluster = await makeTestCluster(t);
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    const states = async (): Promise<Record<string, string>> =>
      Object.fromEntries(
        (await cluster.status()).components.map((c) => [c.name, c.paused ? 'paused' : c.state]),
      );

    assert.equal((await runCli(['sk', 'kill', '2'], { repoDir })).exitCode, 0);
    assert.deepEqual(await states(), {
      etcd: 'ready',
      storage: 'ready',
      sk1: 'ready',
      sk2: 'down',
      sk3: 'ready',
      pageserver: 'ready',
    });

    assert.equal((await runCli(['sk', 'start', '2'], { repoDir })).exitCode, 0);
    assert.deepEqual(await states(), ALL_READY);

    assert.equal((await runCli(['sk', 'pause', '2'], { repoDir })).exitCode, 0);
    const paused = await runCliJson<ClusterStatus>(['status'], { repoDir });
    const sk2 = paused.body.result!.components.find((c) => c.name === 'sk2')!;
    assert.equal(sk2.state, 'not-responding');
    assert.equal(sk2.paused, true);
    const text = await runCli(['status'], { repoDir });
    assert.match(text.stdout, /sk2\s+paused\s/);

    assert.equal((await runCli(['sk', 'resume', '2'], { repoDir })).exitCode, 0);
    assert.deepEqual(await states(), ALL_READY);

    // A paused safekeeper must still stop (SIGTERM is delivered once it is continued).
    assert.equal((await runCli(['sk', 'pause', '3'], { repoDir })).exitCode, 0);
    assert.equal((await runCli(['stop'], { repoDir })).exitCode, 0);
    assert.deepEqual(await pidsMentioning(repoDir), []);
  },
);

test(
  'two concurrent starts on a fresh repo dir end in one running cluster',
  { timeout: 120_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { init: false });
    const repoDir = cluster.repoDir;
    // Both auto-init; the repo lock makes the second wait and then find everything running.
    const [first, second] = await Promise.all([
      runCli(['start'], { repoDir }),
      runCli(['start'], { repoDir }),
    ]);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.equal(second.exitCode, 0, second.stderr);
    const status = await cluster.status();
    assert.ok(status.ready);
    // Exactly one process per component.
    const config = await cluster.loadConfig();
    assert.equal((await pidsMentioning(cluster.layout.etcd.dataDir, 'etcd')).length, 1, 'one etcd');
    assert.equal(
      (await pidsMentioning(cluster.layout.storage.dataDir, 's3-server.js')).length,
      1,
      'one storage server',
    );
    for (const sk of config.safekeepers) {
      const pids = await pidsMentioning(cluster.layout.safekeeper(sk.id).dataDir, 'safekeeper.js');
      assert.equal(pids.length, 1, `one safekeeper ${sk.id}`);
    }
  },
);
