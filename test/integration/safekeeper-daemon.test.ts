// The safekeeper daemon as a real process, started directly with neon's flags: identity file,
// data dir lock, pid file, JSON logs, HTTP routes, the WAL port, and graceful shutdown.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WireClient, WireServerError } from '../../src/postgres/wire/wire-client.js';
import { test } from 'node:test';
import { findFreePort } from '../../src/cluster/process/ports.js';
import { startDaemon, waitStatus } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { randomPortBelowEphemeral } from '../helpers/ports.js';

/** GET /v1/status of a safekeeper started without remote storage. */
const NO_WAL_BACKUP = {
  configured: false,
  etcd_connected: null,
  timelines_campaigning: 0,
  timelines_leading: 0,
};

test(
  'safekeeper daemon: identity, lock, pid file, HTTP API, WAL port, graceful stop',
  { timeout: 60_000 },
  async (t) => {
    const dataDir = join(await makeTempDir(t), 'sk7');
    const httpPort = await findFreePort(randomPortBelowEphemeral(100), new Set());
    const pgPort = await findFreePort(httpPort + 1, new Set([httpPort]));
    const flags = [
      '-D',
      dataDir,
      '--listen-pg',
      `127.0.0.1:${pgPort}`,
      '--listen-http',
      `127.0.0.1:${httpPort}`,
      '--no-sync',
    ];
    const first = startDaemon([...flags, '--id', '17']);
    t.after(() => first.child.kill('SIGKILL'));
    assert.deepEqual(await waitStatus(httpPort), {
      id: 17,
      broker: null,
      wal_backup: NO_WAL_BACKUP,
    });
    assert.equal(await readFile(join(dataDir, 'safekeeper.id'), 'utf8'), '17');
    assert.equal(
      (await readFile(join(dataDir, 'safekeeper.pid'), 'utf8')).trim(),
      String(first.child.pid),
    );

    // A second daemon on the same data dir is refused by the lock (on other ports).
    const second = startDaemon([
      '-D',
      dataDir,
      '--listen-pg',
      '127.0.0.1:1',
      '--listen-http',
      '127.0.0.1:2',
      '--no-sync',
    ]);
    assert.equal(await second.exited, 1);
    assert.match(second.output(), /data dir .* is locked by another process/);

    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    assert.match(
      metrics,
      /safekeeper_http_requests_total\{method="GET",route="\/v1\/status",status="200",node_id="17"\}/,
    );
    // The process metrics are registered at the first scrape, and are in its answer.
    assert.match(metrics, /^safekeeper_process_cpu_seconds_total\{node_id="17"\} [\d.e-]+$/m);
    assert.match(metrics, /^safekeeper_nodejs_heap_size_used_bytes\{node_id="17"\} \d+$/m);
    const missing = await fetch(`http://127.0.0.1:${httpPort}/v1/nothing`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), {
      error: { code: 'not-found', message: 'no route GET /v1/nothing' },
    });
    const wrongMethod = await fetch(`http://127.0.0.1:${httpPort}/v1/status`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);

    // The WAL port speaks the PostgreSQL protocol: an unknown command is an ERROR and the
    // connection stays open; an open connection does not hold up a graceful stop.
    const wal = await WireClient.connect({
      host: '127.0.0.1',
      port: pgPort,
      parameters: { ztenantid: 'ab'.repeat(16), ztimelineid: 'cd'.repeat(16) },
      connectTimeoutMs: 5_000,
    });
    for (let query = 0; query < 2; query++)
      await assert.rejects(
        wal.simpleQuery('SELECT 1'),
        (error: unknown) => error instanceof WireServerError && error.sqlState === '0A000',
        'the same connection answers again',
      );
    assert.equal(wal.isClosed, false);

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    wal.destroy();
    assert.equal(
      existsSync(join(dataDir, 'safekeeper.pid')),
      false,
      'pid file removed on graceful stop',
    );
    const lines = first
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(
      lines.every(
        (line) =>
          typeof line.time === 'string' &&
          typeof line.level === 'string' &&
          line.component === 'safekeeper',
      ),
    );
    assert.deepEqual(lines.map((line) => line.msg).slice(-2), ['shutting down', 'stopped']);

    // The identity file is authoritative.
    const renamed = startDaemon([...flags, '--id', '18']);
    assert.equal(await renamed.exited, 1);
    assert.match(renamed.output(), /safekeeper already initialized with id 17, can't set 18/);
    const again = startDaemon(flags);
    t.after(() => again.child.kill('SIGKILL'));
    assert.deepEqual(await waitStatus(httpPort), {
      id: 17,
      broker: null,
      wal_backup: NO_WAL_BACKUP,
    });
    again.child.kill('SIGINT');
    assert.equal(await again.exited, 0);
  },
);

test(
  'safekeeper daemon: bad flags exit 2 with a clear message and create nothing',
  { timeout: 30_000 },
  async (t) => {
    const dir = await makeTempDir(t);
    const cases: [string[], RegExp][] = [
      [['--id', '1'], /missing -D DIR/],
      [['-D', join(dir, 'a'), '--id', 'x'], /invalid --id "x"/],
      [
        ['-D', join(dir, 'b'), '--listen-http', 'localhost'],
        /invalid --listen-http "localhost": expected HOST:PORT/,
      ],
      [['-D', join(dir, 'c'), '--bogus'], /Unknown option '--bogus'/],
      [
        ['-D', join(dir, 'd'), '--remote-storage', '{bucket_name = "b"}'],
        /'bucket_region' option is mandatory/,
      ],
      [
        ['-D', join(dir, 'e'), '--broker-endpoints', 'localhost:2379'],
        /invalid --broker-endpoints entry/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const daemon = startDaemon(args);
      assert.equal(await daemon.exited, 2, args.join(' '));
      assert.match(daemon.output(), pattern);
    }
    for (const name of ['a', 'b', 'c', 'd', 'e']) assert.equal(existsSync(join(dir, name)), false);
    const noId = startDaemon([
      '-D',
      join(dir, 'f'),
      '--listen-pg',
      '127.0.0.1:1',
      '--listen-http',
      '127.0.0.1:2',
    ]);
    assert.equal(await noId.exited, 2);
    assert.match(noId.output(), /safekeeper id is not specified/);
  },
);
