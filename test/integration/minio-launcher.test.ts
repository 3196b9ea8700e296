// The MinIO launch path, exercised with the fixture executable test/fixtures/minio: its
// command line, environment, readiness wait, bucket creation and stop.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ClusterStatus } from '../../src/index.js';
import { PROJECT_ROOT, runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, pidsMentioning, randomPortOffset } from '../helpers/cluster.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const FIXTURE = join(PROJECT_ROOT, 'test', 'fixtures', 'minio');
/** Any value: what matters is that the launched MinIO does not inherit it. */
const EXTRA_CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';

interface Invocation {
  argv: string[];
  env: Record<string, string>;
  requests: string[];
}

test(
  'storage kind minio: launched with data dir, addresses and root credentials, waited for, bucket created',
  { timeout: 90_000 },
  async (t) => {
    const { repoDir } = await makeTestCluster(t, { init: false });
    const init = await runCli(
      [
        'init',
        '--minio-binary',
        FIXTURE,
        '--safekeepers',
        '1',
        '--port-offset',
        String(randomPortOffset()),
        '--no-sync',
      ],
      { repoDir },
    );
    assert.equal(init.exitCode, 0, init.stderr);
    const env = {
      MINIO_ROOT_USER: 'test-user',
      MINIO_ROOT_PASSWORD: 'test-password-1',
      // Set for the CLI (the test runner removes it from its own environment): the launcher
      // must not hand it on.
      NODE_EXTRA_CA_CERTS: EXTRA_CA_CERTS,
    };
    const start = await runCli(['start'], { repoDir, env });
    assert.equal(start.exitCode, 0, start.stderr);

    const { body } = await runCliJson<ClusterStatus>(['status'], { repoDir, env });
    const storage = body.result!.components.find((c) => c.name === 'storage')!;
    assert.equal(storage.description, 'MinIO');
    assert.equal(storage.state, 'ready');
    const invocation = JSON.parse(
      await readFile(join(repoDir, 'storage', 'fixture-minio.json'), 'utf8'),
    ) as Invocation;
    const { s3, console: consolePort } = storage.ports;
    assert.deepEqual(invocation.argv, [
      'server',
      join(repoDir, 'storage', 'data'),
      '--address',
      `127.0.0.1:${s3}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
    ]);
    assert.equal(invocation.env.MINIO_ROOT_USER, 'test-user');
    assert.equal(invocation.env.MINIO_ROOT_PASSWORD, 'test-password-1');
    assert.equal(
      invocation.env.NODE_EXTRA_CA_CERTS,
      undefined,
      'children get a minimal environment',
    );
    assert.ok(
      invocation.requests.filter((r) => r === 'GET /minio/health/live').length >= 2,
      'readiness was polled until live',
    );
    assert.ok(invocation.requests.includes('PUT /neon-local/'), 'the bucket was created');

    const logText = await readFile(join(repoDir, 'storage', 'storage.log'), 'utf8');
    assert.doesNotMatch(logText, /test-password-1/, 'credentials never reach the log');
    assert.doesNotMatch(await readFile(join(repoDir, 'config'), 'utf8'), /test-password-1/);

    assert.equal((await runCli(['stop'], { repoDir })).exitCode, 0);
    assert.deepEqual(await pidsMentioning(repoDir), []);
  },
);

test(
  'storage kind minio without a binary: init refuses with exit 6',
  { timeout: 30_000 },
  async (t) => {
    const repoDir = join(await makeTempDir(t), 'repo');
    const result = await runCliJson(
      ['init', '--remote-storage', 'minio', '--port-offset', String(randomPortOffset())],
      { repoDir, env: { PATH: '/usr/bin:/bin' } },
    );
    assert.equal(result.exitCode, 6);
    assert.match(result.body.error?.message ?? '', /no minio binary on PATH/);
  },
);
