// The readiness notice (common/ready-notice.ts) end to end: a real child process sends it with
// the daemons' helper and the control plane's spawn reads it; and the readiness wait, which takes
// a notice that says ready without probing and probes when the notice does not say so.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { ManagedComponent, ReadyProbe } from '../../../src/cluster/components/component.js';
import { pageserverComponent } from '../../../src/cluster/components/pageserver.js';
import { safekeeperComponent } from '../../../src/cluster/components/safekeeper.js';
import { storageComponent } from '../../../src/cluster/components/storage.js';
import { waitReady } from '../../../src/cluster/lifecycle.js';
import { readFirstLine, spawnDaemon } from '../../../src/cluster/process/spawn-daemon.js';
import { RepoLayout } from '../../../src/cluster/repo-layout.js';
import { Deadline } from '../../../src/common/deadline.js';
import { isAppError } from '../../../src/common/errors.js';
import { configWith } from '../../helpers/small-config.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const NOTICE_MODULE = new URL('../../../src/daemon-shell/ready-notice.js', import.meta.url).href;

/** Spawns Node running `script` (ESM, with sendReadyNotice imported) as a daemon would be. */
async function spawnScript(dir: string, script: string, readyNotice: boolean) {
  const logFile = join(dir, 'child.log');
  const daemon = await spawnDaemon(
    {
      command: process.execPath,
      args: [
        '--input-type=module',
        '-e',
        `import { sendReadyNotice } from '${NOTICE_MODULE}';\n${script}`,
      ],
      env: {},
      cwd: dir,
      logFile,
    },
    { readyNotice },
  );
  // spawnDaemon unrefs the child (the CLI never waits for a daemon to exit); the test does.
  daemon.child.ref();
  return { daemon, log: async () => (await daemon.exited, await readFile(logFile, 'utf8')) };
}

test('a spawned child sends one notice line; the variable is gone after it', async (t) => {
  const dir = await makeTempDir(t);
  const { daemon, log } = await spawnScript(
    dir,
    `sendReadyNotice({ id: 7, note: 'ready' });
     sendReadyNotice({ id: 8 });
     console.log('variable:', process.env.NEON_LOCAL_READY_FD ?? 'unset');`,
    true,
  );
  assert.ok(daemon.readyNotice !== undefined);
  assert.equal(await daemon.readyNotice.line, '{"id":7,"note":"ready"}');
  assert.equal(await daemon.exited, 'exited with code 0');
  assert.match(await log(), /^variable: unset$/m);
});

test('a child that exits without a notice ends the wait with no line', async (t) => {
  const dir = await makeTempDir(t);
  const { daemon } = await spawnScript(dir, `process.exit(3);`, true);
  assert.equal(await daemon.readyNotice?.line, undefined);
  assert.equal(await daemon.exited, 'exited with code 3');
});

test('without a notice asked for, the child has no variable and the helper does nothing', async (t) => {
  const dir = await makeTempDir(t);
  const { daemon, log } = await spawnScript(
    dir,
    `sendReadyNotice({ id: 1 });
     console.log('variable:', process.env.NEON_LOCAL_READY_FD ?? 'unset');`,
    false,
  );
  assert.equal(daemon.readyNotice, undefined);
  assert.equal(await daemon.exited, 'exited with code 0');
  assert.match(await log(), /^variable: unset$/m);
});

test('the helper never closes stdio and ignores a descriptor that is not open', async (t) => {
  const dir = await makeTempDir(t);
  for (const value of ['1', '2', 'x', '-1', '250']) {
    const { daemon, log } = await spawnScript(
      dir,
      `process.env.NEON_LOCAL_READY_FD = '${value}';
       sendReadyNotice({ id: 1 });
       console.log('still writing to stdout');`,
      false,
    );
    assert.equal(await daemon.exited, 'exited with code 0', value);
    assert.match(await log(), /still writing to stdout/, value);
  }
});

test('readFirstLine: a line across chunks, an end without one, too long, closed by us', async () => {
  const split = new PassThrough();
  const first = readFirstLine(split, 100);
  split.write('{"id":');
  split.write('1}\n{"id":2}\n');
  assert.equal(await first.line, '{"id":1}');
  assert.ok(split.destroyed, 'our end is closed once the line is read');

  const ended = new PassThrough();
  const none = readFirstLine(ended, 100);
  ended.end('{"id":1}');
  assert.equal(await none.line, undefined);

  const long = new PassThrough();
  const tooLong = readFirstLine(long, 10);
  long.write('x'.repeat(11));
  assert.equal(await tooLong.line, undefined);

  const open = new PassThrough();
  const closed = readFirstLine(open, 100);
  closed.close();
  assert.equal(await closed.line, undefined);
  assert.ok(open.destroyed);
});

/** A component whose probe answers `probeAnswer` and counts its calls. */
function fakeComponent(logFile: string, probeAnswer: ReadyProbe) {
  const calls = { probe: 0 };
  const component = {
    managed: true,
    name: 'sk9',
    kind: 'safekeeper',
    description: 'safekeeper 9',
    ports: {},
    endpoint: 'http://127.0.0.1:1',
    paths: { homeDir: '', dataDir: '', logFile, pidFile: '' },
    identity: { program: 'safekeeper.js', dataDir: '' },
    writesOwnPidFile: true,
    readinessFromNotice: (line: string): ReadyProbe =>
      line === 'ok' ? { ready: true, detail: 'from the notice' } : { ready: false, detail: line },
    probe: () => {
      calls.probe += 1;
      return Promise.resolve(probeAnswer);
    },
    launchSpec: () => Promise.reject(new Error('not launched')),
    afterReady: () => Promise.resolve(),
  } satisfies ManagedComponent;
  return { component, calls };
}

function noticeOf(line: string | undefined) {
  const stream = new PassThrough();
  const notice = readFirstLine(stream, 100);
  if (line === undefined) stream.end();
  else stream.write(`${line}\n`);
  return notice;
}

test('waitReady takes a notice that says ready and asks nothing', async (t) => {
  const logFile = join(await makeTempDir(t), 'sk9.log');
  const { component, calls } = fakeComponent(logFile, { ready: true, detail: 'from the probe' });
  const answer = await waitReady(component, new Deadline(5000), undefined, noticeOf('ok'));
  assert.deepEqual(answer, { ready: true, detail: 'from the notice' });
  assert.equal(calls.probe, 0);
});

test('waitReady probes when the notice does not say ready, or never comes', async (t) => {
  const logFile = join(await makeTempDir(t), 'sk9.log');
  for (const line of ['id 3 instead of 9', undefined]) {
    const { component, calls } = fakeComponent(logFile, { ready: true, detail: 'from the probe' });
    const answer = await waitReady(component, new Deadline(5000), undefined, noticeOf(line));
    assert.deepEqual(answer, { ready: true, detail: 'from the probe' }, String(line));
    assert.equal(calls.probe, 1, String(line));
  }
});

test('waitReady times out with the notice that did not say ready and the log tail', async (t) => {
  const logFile = join(await makeTempDir(t), 'sk9.log');
  const { component } = fakeComponent(logFile, { ready: false, detail: 'connection refused' });
  const error = await waitReady(
    component,
    new Deadline(300),
    undefined,
    noticeOf('id 3 instead of 9'),
  ).catch((caught: unknown) => caught);
  assert.ok(isAppError(error), String(error));
  assert.equal(error.code, 'timed-out');
  assert.match(error.message, /could not start sk9: not ready in time \(connection refused\)/);
});

test("each daemon's notice is read as its probe's answer would be", () => {
  const config = configWith('kind = "embedded"\nport = 9000\nbucket = "neon-local"');
  const layout = new RepoLayout('/tmp/neon-local-test-repo');
  const read = (component: ManagedComponent, line: string) => component.readinessFromNotice?.(line);
  const safekeeper = safekeeperComponent(config, layout, config.safekeepers[0]!);
  const status = (id: number) =>
    JSON.stringify({
      id,
      broker: null,
      wal_backup: {
        configured: false,
        etcd_connected: null,
        timelines_campaigning: 0,
        timelines_leading: 0,
      },
    });
  assert.deepEqual(read(safekeeper, status(1)), { ready: true, detail: 'id 1, no offload' });
  assert.deepEqual(read(safekeeper, status(2)), { ready: false, detail: 'id 2 instead of 1' });
  assert.deepEqual(read(safekeeper, 'not json'), { ready: false, detail: 'not a JSON document' });

  const pageserver = pageserverComponent(config, layout);
  assert.deepEqual(read(pageserver, '{"id":"pageserver","timelines":1}'), {
    ready: true,
    detail: '1 timeline',
  });
  assert.equal(read(pageserver, '{"id":"safekeeper"}')?.ready, false);

  const storage = storageComponent(config, layout);
  assert.ok(storage.managed);
  const notice = (port: number, buckets: string[]) =>
    JSON.stringify({ address: '127.0.0.1', port, buckets });
  assert.deepEqual(read(storage, notice(9000, ['neon-local'])), {
    ready: true,
    detail: 'bucket neon-local',
  });
  assert.deepEqual(read(storage, notice(9001, ['neon-local'])), {
    ready: false,
    detail: 'port 9001, not 9000',
  });
  assert.deepEqual(read(storage, notice(9000, ['other'])), {
    ready: false,
    detail: 'no bucket neon-local',
  });
});
