import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRemoteStorage, parseSafekeeperArgs } from '../../../src/safekeeper/config.js';
import { AppError } from '../../../src/common/errors.js';

test('neon flags parse into the daemon config', () => {
  const config = parseSafekeeperArgs([
    '-D',
    '/d',
    '--id',
    '3',
    '--listen-pg',
    '127.0.0.1:5454',
    '--listen-http',
    '127.0.0.1:7676',
    '--broker-endpoints',
    'http://127.0.0.1:2379,http://127.0.0.1:2479',
    '--broker-etcd-prefix',
    'p',
    '--remote-storage',
    '{bucket_name = "b", bucket_region = "r", endpoint = "http://127.0.0.1:9000", prefix_in_bucket = "w"}',
    '--no-sync',
  ]);
  assert.deepEqual(config, {
    dataDir: '/d',
    id: 3,
    listenPg: { host: '127.0.0.1', port: 5454 },
    listenHttp: { host: '127.0.0.1', port: 7676 },
    brokerEndpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:2479'],
    brokerEtcdPrefix: 'p',
    remoteStorage: {
      bucketName: 'b',
      bucketRegion: 'r',
      endpoint: 'http://127.0.0.1:9000',
      prefixInBucket: 'w',
    },
    noSync: true,
    controlFileSaveIntervalMs: 300_000,
    walRemovalIntervalMs: 5000,
    enableWalBackup: true,
    electionTtlMs: 5000,
    walBackupParallelJobs: 4,
    testing: false,
  });
});

test('the background-work flags parse, and bad values are usage errors', () => {
  const base = ['-D', '/d'];
  const config = parseSafekeeperArgs([
    ...base,
    '--wal-removal-interval',
    '200ms',
    '--enable-wal-backup',
    'false',
    '--election-ttl',
    '2s',
    '--wal-backup-parallel-jobs',
    '8',
    '--testing',
  ]);
  assert.equal(config.walRemovalIntervalMs, 200);
  assert.equal(config.enableWalBackup, false);
  assert.equal(config.electionTtlMs, 2000);
  assert.equal(config.walBackupParallelJobs, 8);
  assert.equal(config.testing, true);
  const bad: [string[], RegExp][] = [
    [['--enable-wal-backup', 'yes'], /expected true or false/],
    [['--election-ttl', '500ms'], /at least 1000ms/],
    [['--wal-removal-interval', '0s'], /at least 10ms/],
    [['--wal-backup-parallel-jobs', '0'], /expected 1\.\.64/],
    [['--wal-backup-parallel-jobs', 'x'], /expected 1\.\.64/],
  ];
  for (const [flags, message] of bad)
    assert.throws(
      () => parseSafekeeperArgs([...base, ...flags]),
      (error: unknown) =>
        error instanceof AppError && error.code === 'usage' && message.test(error.message),
      flags.join(' '),
    );
});

test("--remote-storage follows neon's rules", () => {
  const table: [string, RegExp][] = [
    ['{bucket_region = "r"}', /no 'bucket_name' option/],
    ['{bucket_name = "b"}', /'bucket_region' option is mandatory/],
    ['{local_path = "/x"}', /local_path storage is not supported/],
    ['{bucket_name = "b", bucket_region = "r", colour = "red"}', /unknown key colour/],
    ['{bucket_name = 5, bucket_region = "r"}', /bucket_name must be a string/],
    ['not toml', /not a TOML inline table/],
  ];
  for (const [text, pattern] of table)
    assert.throws(
      () => parseRemoteStorage(text),
      (error: unknown) => error instanceof AppError && pattern.test(error.message),
      text,
    );
});
