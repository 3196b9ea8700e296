// What start, status and stop do when the world is not as expected: a port held by a stranger,
// a component that dies at start (its log tail shown once, after the cause), a pid file naming
// an unrelated live process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { parseNodeId } from '../../src/common/ids.js';
import type { ClusterStatus } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster, pidsMentioning } from '../helpers/cluster.js';

const EXIT_SETTLE_TIMEOUT_MS = 3000;

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
    assert.match(
      result.body.error?.message ?? '',
      /^could not start etcd: exited with code 2 before it was ready\nlast lines of .*etcd\.log:\netcd: simulated failure: cannot open data dir$/,
    );
    assert.deepEqual(
      await pidsLeftRunning(cluster.repoDir),
      [],
      'everything started by the failed call was stopped',
    );
    for (const sk of config.safekeepers) {
      assert.equal(
        (await cluster.status()).components.find((c) => c.name === `sk${sk.id}`)?.state,
        'down',
      );
    }

    const human = await runCli(['start', '--timeout', '20s'], { repoDir: cluster.repoDir });
    assert.notEqual(human.exitCode, 0);
    assertTailShownOnce(human.stderr, {
      cause: 'error: could not start etcd: exited with code 2 before it was ready',
      header: `last lines of ${cluster.layout.etcd.logFile}:`,
      tailLine: '  etcd: simulated failure: cannot open data dir',
    });
  },
);

test(
  'a safekeeper that refuses to start: its JSON log tail is shown once, rendered, after the cause',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 2 });
    const sk2 = cluster.layout.safekeeper(parseNodeId('2'));
    // A data dir that belongs to another safekeeper id: the daemon logs an error and exits 1.
    await mkdir(sk2.homeDir, { recursive: true });
    await writeFile(join(sk2.homeDir, 'safekeeper.id'), '7\n');
    const refusal = "safekeeper already initialized with id 7, can't set 2";

    const json = await runCliJson(['start'], { repoDir: cluster.repoDir });
    assert.notEqual(json.exitCode, 0);
    const message = json.body.error?.message ?? '';
    assert.match(message, /^could not start sk2: exited with code 1 before it was ready\n/);
    assert.ok(
      message.split('\n').some((line) => /^\{"level":"error",.*"msg":"could not start/.test(line)),
      `--json keeps the raw log lines:\n${message}`,
    );

    const human = await runCli(['start'], { repoDir: cluster.repoDir });
    assert.notEqual(human.exitCode, 0);
    assertTailShownOnce(human.stderr, {
      cause: 'error: could not start sk2: exited with code 1 before it was ready',
      header: `last lines of ${sk2.logFile}:`,
      tailLine: `ERROR: safekeeper: could not start safekeeper err="${refusal}"`,
    });
    assert.doesNotMatch(human.stderr, /"level":/, 'JSON log lines are rendered for people');
    assert.deepEqual(await pidsLeftRunning(cluster.repoDir), [], 'rolled back');
  },
);

/** Processes of the cluster still running, once any that are exiting have had time to go. */
async function pidsLeftRunning(repoDir: string): Promise<number[]> {
  const none = await pollUntil(
    async () => ((await pidsMentioning(repoDir)).length === 0 ? true : undefined),
    { timeoutMs: EXIT_SETTLE_TIMEOUT_MS, intervalMs: 20 },
  );
  return none === true ? [] : pidsMentioning(repoDir);
}

/**
 * The cause line once, then the log header once, then the tail; nothing of the tail on the
 * progress lines before the cause. `tailLine` is the last line of the log (the second start
 * shows the first start's lines too, so it is the only one sure to be there exactly once).
 */
function assertTailShownOnce(
  stderr: string,
  expected: { cause: string; header: string; tailLine: string },
): void {
  const lines = stderr.split('\n');
  const count = (text: string): number => lines.filter((line) => line.includes(text)).length;
  assert.equal(count(expected.header), 1, `the log header once:\n${stderr}`);
  assert.equal(lines.filter((line) => line === expected.cause).length, 1, `cause once:\n${stderr}`);
  const causeAt = lines.indexOf(expected.cause);
  const headerAt = lines.indexOf(expected.header);
  assert.equal(headerAt, causeAt + 1, `the log header right after the cause:\n${stderr}`);
  const tailAt = lines.findLastIndex((line) => line.includes(expected.tailLine));
  assert.ok(tailAt > headerAt, `the tail after its header:\n${stderr}`);
  assert.ok(lines[tailAt]?.startsWith('  '), 'tail lines are indented');
  assert.ok(
    lines.slice(0, causeAt).every((line) => !line.includes(expected.tailLine)),
    `the progress lines do not repeat the tail:\n${stderr}`,
  );
}

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
