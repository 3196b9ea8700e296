// What start, status and stop do when the world is not as expected: a port held by a stranger,
// a pid file naming an unrelated live process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { test } from 'node:test';
import type { ClusterStatus } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, pidsMentioning } from '../helpers/cluster.js';

test(
  'a port held by another listener: start fails with exit 5 naming port and holder, nothing left running',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await makeTestCluster(t);
    const config = await cluster.loadConfig();
    const takenPort = config.safekeepers[1]!.httpPort;
    const squatter = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen({ host: '127.0.0.1', port: takenPort }, resolve),
    );
    t.after(() => squatter.close());

    const result = await runCliJson(['start'], { repoDir: cluster.repoDir });
    assert.equal(result.exitCode, 5);
    assert.equal(result.body.error?.code, 'port-in-use');
    assert.match(
      result.body.error?.message ?? '',
      new RegExp(`port ${takenPort} \\(sk2 http\\) is in use by pid ${process.pid} \\(node\\)`),
    );
    assert.deepEqual(
      await pidsMentioning(cluster.repoDir),
      [],
      'nothing of the cluster is running',
    );

    const human = await runCli(['start'], { repoDir: cluster.repoDir });
    assert.equal(human.exitCode, 5);
    assert.match(human.stderr, new RegExp(`error: could not start: port ${takenPort}`));
  },
);

test(
  'a component that dies at start: start fails, shows its log, stops what it started',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await makeTestCluster(t);
    const config = await cluster.loadConfig();
    // An "etcd" that complains and exits, as a broken installation would.
    const fakeEtcd = join(cluster.repoDir, 'broken-etcd');
    await writeFile(
      fakeEtcd,
      '#!/bin/sh\necho "etcd: simulated failure: cannot open data dir" >&2\nexit 2\n',
      { mode: 0o755 },
    );
    const configText = await readFile(cluster.layout.configFile, 'utf8');
    await writeFile(
      cluster.layout.configFile,
      configText.replace(/binary = ".*"/, `binary = "${fakeEtcd}"`),
    );

    const result = await runCliJson(['start', '--timeout', '20s'], { repoDir: cluster.repoDir });
    assert.notEqual(result.exitCode, 0);
    assert.match(result.body.error?.message ?? '', /etcd exited with code 2 before it was ready/);
    assert.match(
      result.body.error?.message ?? '',
      /last lines of .*etcd\.log:\netcd: simulated failure: cannot open data dir/,
    );
    assert.deepEqual(
      await pidsMentioning(cluster.repoDir),
      [],
      'everything started by the failed call was stopped',
    );
    for (const sk of config.safekeepers) {
      assert.equal(
        (await cluster.status()).components.find((c) => c.name === `sk${sk.id}`)?.state,
        'down',
      );
    }
  },
);

test(
  'a stale pid file naming an unrelated live process: not running, and never signalled',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await makeTestCluster(t);
    const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
    t.after(() => stranger.kill('SIGKILL'));
    const strangerPid = stranger.pid!;
    await writeFile(cluster.layout.etcd.pidFile, `${strangerPid}\n`);
    await writeFile(cluster.layout.safekeeper(1 as never).pidFile, `${strangerPid}\n`);

    const { body } = await runCliJson<ClusterStatus>(['status'], { repoDir: cluster.repoDir });
    const byName = Object.fromEntries(body.result!.components.map((c) => [c.name, c]));
    assert.equal(byName.etcd?.state, 'down');
    assert.equal(byName.etcd?.pid, null);
    assert.equal(byName.sk1?.state, 'down');

    const stopped = await runCli(['stop'], { repoDir: cluster.repoDir });
    assert.equal(stopped.exitCode, 0, stopped.stderr);
    assert.equal(stranger.exitCode, null, 'the unrelated process is still alive');
    assert.equal(stranger.signalCode, null);
    process.kill(strangerPid, 0); // throws if it were gone
  },
);
