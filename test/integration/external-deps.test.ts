// External etcd and S3: neon_local starts neither, checks both, and leaves them alone at stop.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { etcdArgs, probeEtcdHealth } from '../../src/cluster/components/etcd.js';
import { parseClusterConfig } from '../../src/cluster/config.js';
import { findFreePort } from '../../src/cluster/process/ports.js';
import { pollUntil } from '../../src/common/deadline.js';
import type { ClusterStatus } from '../../src/index.js';
import { PROJECT_ROOT, runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, pidsMentioning, randomPortOffset } from '../helpers/cluster.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { randomPortBelowEphemeral } from '../helpers/ports.js';

async function waitHttp(url: string): Promise<void> {
  const ok = await pollUntil(
    async () =>
      (await fetch(url, { method: 'HEAD' }).catch(() => undefined))?.ok ? true : undefined,
    { timeoutMs: 15_000, intervalMs: 50 },
  );
  assert.equal(ok, true, `${url} answered`);
}

test(
  'external etcd and S3 are checked, not started, and survive stop',
  { timeout: 90_000 },
  async (t) => {
    const { repoDir } = await makeTestCluster(t, { init: false });
    const dir = await makeTempDir(undefined); // the external etcd's and S3's own data
    const etcdClientPort = await findFreePort(randomPortBelowEphemeral(100), new Set());
    const etcdPeerPort = await findFreePort(etcdClientPort + 1, new Set());
    const s3Port = await findFreePort(etcdPeerPort + 1, new Set());
    const etcdConfig = parseClusterConfig(
      `[cluster]\nformat_version = 1\n[etcd]\nclient_port = ${etcdClientPort}\npeer_port = ${etcdPeerPort}\n[[safekeepers]]\nid = 1\npg_port = 1\nhttp_port = 2\n`,
      'x',
    );
    await mkdir(join(dir, 'etcd'));
    const etcd = spawn('/usr/bin/etcd', etcdArgs(etcdConfig, join(dir, 'etcd')), {
      stdio: 'ignore',
    });
    const s3 = spawn(
      process.execPath,
      [
        join(PROJECT_ROOT, 'bin', 's3-server.js'),
        '--port',
        String(s3Port),
        '--directory',
        join(dir, 's3'),
        '--bucket',
        'external-wal',
      ],
      { stdio: 'ignore' },
    );
    t.after(async () => {
      etcd.kill('SIGKILL');
      s3.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    assert.ok(
      await pollUntil(
        async () => ((await probeEtcdHealth(etcdUrl, 500)).ready ? true : undefined),
        { timeoutMs: 15_000, intervalMs: 50 },
      ),
    );
    await waitHttp(`http://127.0.0.1:${s3Port}/external-wal`);

    const init = await runCli(
      [
        'init',
        '--etcd-endpoints',
        `http://127.0.0.1:1,${etcdUrl}`,
        '--remote-storage',
        's3',
        '--s3-endpoint',
        `http://127.0.0.1:${s3Port}`,
        '--bucket',
        'external-wal',
        '--safekeepers',
        '2',
        '--no-sync',
        '--port-offset',
        String(randomPortOffset()),
      ],
      { repoDir },
    );
    assert.equal(init.exitCode, 0, init.stderr);
    const credentials = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
    const start = await runCliJson<{ started: string[] }>(['start'], { repoDir, env: credentials });
    assert.equal(start.exitCode, 0, start.stderr);
    assert.deepEqual(
      [...start.body.result!.started].sort(),
      ['pageserver', 'sk1', 'sk2'],
      'only our own daemons were started',
    );

    const { body } = await runCliJson<ClusterStatus>(['status'], { repoDir, env: credentials });
    const byName = Object.fromEntries(body.result!.components.map((c) => [c.name, c]));
    assert.equal(byName.etcd?.managed, false);
    assert.equal(byName.etcd?.state, 'ready');
    assert.equal(byName.storage?.managed, false);
    assert.equal(byName.storage?.state, 'ready', byName.storage?.detail);
    assert.deepEqual(await pidsMentioning(join(repoDir, 'etcd')), [], 'no etcd of ours');

    const wrongCredentials = await runCliJson<ClusterStatus>(['status'], {
      repoDir,
      env: { AWS_ACCESS_KEY_ID: 'nobody', AWS_SECRET_ACCESS_KEY: 'wrong' },
    });
    assert.equal(
      wrongCredentials.body.result!.components.find((c) => c.name === 'storage')?.state,
      'not-responding',
    );

    assert.equal((await runCli(['stop'], { repoDir })).exitCode, 0);
    assert.equal(etcd.exitCode, null, 'the external etcd still runs');
    assert.equal(s3.exitCode, null, 'the external S3 still runs');

    etcd.kill('SIGKILL');
    await new Promise((resolve) => etcd.once('exit', resolve));
    const unavailable = await runCliJson(['start'], { repoDir, env: credentials });
    assert.equal(unavailable.exitCode, 6);
    assert.match(
      unavailable.body.error?.message ?? '',
      /external etcd at http:\/\/127\.0\.0\.1:1 is not available/,
    );
    assert.deepEqual(
      await pidsMentioning(repoDir),
      [],
      'nothing started when a dependency is down',
    );
  },
);
