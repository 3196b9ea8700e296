import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  cmdlineMatches,
  findOwnedPid,
  readPidFile,
} from '../../../src/cluster/process/pid-file.js';
import { findFreePort, findPortHolder, isPortFree } from '../../../src/cluster/process/ports.js';
import { readCmdline, readProcState } from '../../../src/cluster/process/proc-info.js';
import { stopProcess } from '../../../src/cluster/process/stop-process.js';
import { readLogTail, readLogTailAt } from '../../../src/cluster/log-tail.js';
import { followLogs } from '../../../src/cluster/log-follow.js';
import { clusterEnv, renderEnvFile } from '../../../src/cluster/repo.js';
import { RepoLayout } from '../../../src/cluster/repo-layout.js';
import { parseClusterConfig } from '../../../src/cluster/config.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { ephemeralPortLow, randomPortBelowEphemeral } from '../../helpers/ports.js';

test('cmdlineMatches needs both the program and the data dir', () => {
  const identity = { program: 'etcd', dataDir: '/r/etcd/data' };
  assert.equal(cmdlineMatches(['/usr/bin/etcd', '--data-dir=/r/etcd/data'], identity), true);
  assert.equal(cmdlineMatches(['/usr/bin/etcd', '--data-dir', '/r/etcd/data'], identity), true);
  assert.equal(cmdlineMatches(['/usr/bin/etcd', '--data-dir=/other'], identity), false);
  assert.equal(cmdlineMatches(['/bin/sleep', '/r/etcd/data'], identity), false);
  assert.equal(cmdlineMatches(['/usr/bin/etcd', '--data-dir=/r/etcd/data2'], identity), false);
});

test('pid files: garbage is no pid; a live stranger is not ours', async (t) => {
  const dir = await makeTempDir(t);
  const file = join(dir, 'x.pid');
  for (const garbage of ['', 'abc', '-5', '0', '12 13', '99999999999']) {
    await writeFile(file, garbage);
    assert.equal(await readPidFile(file), undefined, JSON.stringify(garbage));
  }
  const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => stranger.kill('SIGKILL'));
  await writeFile(file, `${stranger.pid}\n`);
  assert.equal(await readPidFile(file), stranger.pid);
  assert.equal(await findOwnedPid(file, { program: 'etcd', dataDir: dir }), undefined);
  assert.equal(await findOwnedPid(file, { program: 'sleep', dataDir: '30' }), stranger.pid);
  assert.deepEqual(await readCmdline(stranger.pid!), ['sleep', '30']);
});

test('stopProcess: SIGTERM for a cooperative process, SIGKILL escalation for a stubborn one, and paused ones too', async () => {
  const polite = spawn('sleep', ['30'], { stdio: 'ignore' });
  assert.deepEqual(await stopProcess(polite.pid!, 'fast'), { stopped: true, escalated: false });
  const stubborn = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 0.05; done'], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(
    await stopProcess(stubborn.pid!, 'fast', { gracefulTimeoutMs: 200, killTimeoutMs: 2000 }),
    { stopped: true, escalated: true },
  );
  const paused = spawn('sleep', ['30'], { stdio: 'ignore' });
  process.kill(paused.pid!, 'SIGSTOP');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await readProcState(paused.pid!), 'paused');
  assert.deepEqual(await stopProcess(paused.pid!, 'fast'), { stopped: true, escalated: false });
});

test('ports: a held port is not free and its holder is found', async (t) => {
  const port = await findFreePort(randomPortBelowEphemeral(100), new Set());
  assert.equal(await isPortFree(port), true);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
  t.after(() => server.close());
  assert.equal(await isPortFree(port), false);
  assert.deepEqual(await findPortHolder(port), { pid: process.pid, command: 'node' });
  assert.notEqual(await findFreePort(port, new Set()), port);
  assert.equal((await findFreePort(port + 1, new Set([port + 1, port + 2]))) > port + 2, true);
});

test('readLogTail returns the last lines of large and missing files', async (t) => {
  const dir = await makeTempDir(t);
  const file = join(dir, 'x.log');
  await writeFile(file, Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
  assert.deepEqual(await readLogTail(file, 3), ['line 19997', 'line 19998', 'line 19999']);
  assert.deepEqual(await readLogTail(join(dir, 'missing.log'), 3), []);
});

test(
  'a follower started where the tail ended misses no line written in between',
  { timeout: 10_000 },
  async (t) => {
    const dir = await makeTempDir(t);
    const file = join(dir, 'y.log');
    await writeFile(file, 'one\ntwo\nthr');
    const tail = await readLogTailAt(file, 5);
    assert.deepEqual(tail.lines, ['one', 'two']);
    assert.equal(tail.unfinished, 'thr');
    assert.deepEqual(await readLogTail(file, 2), ['two', 'thr'], 'a failure tail shows it too');
    // Written after the tail was read and before the follower looked at the file.
    await appendFile(file, 'ee\nfour\n');
    const seen: string[] = [];
    const abort = new AbortController();
    const following = followLogs(
      [{ name: 'y', path: file, fromOffset: tail.endOffset }],
      (_, line) => {
        seen.push(line);
        if (seen.length === 2) abort.abort();
      },
      abort.signal,
    );
    await following;
    assert.deepEqual(seen, ['three', 'four']);
  },
);

test('the env file is shell-quoted and names every safekeeper', () => {
  const config = parseClusterConfig(
    '[cluster]\nformat_version = 1\n[etcd]\nclient_port = 1\npeer_port = 2\n[[safekeepers]]\nid = 10\npg_port = 3\nhttp_port = 4\n',
    'x',
  );
  const env = clusterEnv(new RepoLayout("/tmp/it's"), config);
  assert.equal(env.NEON_SK10_PG_ADDR, '127.0.0.1:3');
  assert.equal(env.NEON_SK10_PG_PORT, '3');
  assert.equal(env.NEON_SK10_HTTP_URL, 'http://127.0.0.1:4');
  assert.equal(env.NEON_ETCD_ENDPOINTS, 'http://127.0.0.1:1');
  assert.match(renderEnvFile(env), /^export NEON_REPO_DIR='\/tmp\/it'\\''s'$/m);
});

test("test ports stay below the kernel's ephemeral range", () => {
  const low = ephemeralPortLow();
  assert.ok(low > 10_000 && low <= 65_535);
  for (let index = 0; index < 200; index++) {
    const start = randomPortBelowEphemeral(10_500);
    assert.ok(start >= 10_000 && start + 10_500 <= low, `${start} + 10500 < ${low}`);
  }
});
