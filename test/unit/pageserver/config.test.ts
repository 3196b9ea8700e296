// The pageserver's command line: the contract's flags parse into the config; bad input is a
// usage error naming what was wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { parsePageserverArgs } from '../../../src/pageserver/config.js';

test('the flags parse into the daemon config', () => {
  const config = parsePageserverArgs([
    '-D',
    '/d',
    '--listen-http',
    '127.0.0.1:9898',
    '--safekeepers',
    '1=127.0.0.1:5454=http://127.0.0.1:7676,12=localhost:5455=http://localhost:7677/',
    '--remote-storage',
    '{bucket_name = "b", bucket_region = "r", endpoint = "http://127.0.0.1:9000", prefix_in_bucket = "w"}',
    '--checkpoint-interval',
    '5s',
    '--discovery-interval',
    '250ms',
    '--no-sync',
  ]);
  assert.deepEqual(config, {
    dataDir: '/d',
    listenHttp: { host: '127.0.0.1', port: 9898 },
    safekeepers: [
      { id: 1, host: '127.0.0.1', pgPort: 5454, httpUrl: 'http://127.0.0.1:7676' },
      { id: 12, host: 'localhost', pgPort: 5455, httpUrl: 'http://localhost:7677' },
    ],
    remoteStorage: {
      bucketName: 'b',
      bucketRegion: 'r',
      endpoint: 'http://127.0.0.1:9000',
      prefixInBucket: 'w',
    },
    checkpointIntervalMs: 5000,
    discoveryIntervalMs: 250,
    noSync: true,
  });
  const defaults = parsePageserverArgs(['-D', '/d', '--safekeepers', '1=h:1=http://h:2']);
  assert.equal(defaults.checkpointIntervalMs, 30_000);
  assert.equal(defaults.discoveryIntervalMs, 1000);
  assert.equal(defaults.remoteStorage, undefined);
  assert.equal(defaults.noSync, false);
});

test('bad flags are usage errors', () => {
  const base = ['-D', '/d'];
  const cases: [string[], RegExp][] = [
    [['--safekeepers', '1=h:1=http://h:2'], /missing -D/],
    [base, /missing --safekeepers/],
    [[...base, '--safekeepers', ''], /lists no safekeeper/],
    [[...base, '--safekeepers', '1=h:1'], /expected ID=HOST:PGPORT=HTTPURL/],
    [[...base, '--safekeepers', '0=h:1=http://h:2'], /expected a positive integer/],
    [[...base, '--safekeepers', '1=h:99999=http://h:2'], /out of range/],
    [[...base, '--safekeepers', '1=h:1=http://h:2,1=h:3=http://h:4'], /safekeeper 1 twice/],
    [
      [...base, '--safekeepers', '1=h:1=http://h:2', '--checkpoint-interval', 'soon'],
      /invalid --checkpoint-interval/,
    ],
    [
      [...base, '--safekeepers', '1=h:1=http://h:2', '--discovery-interval', '1ms'],
      /at least 10ms/,
    ],
    [
      [...base, '--safekeepers', '1=h:1=http://h:2', '--remote-storage', '{bucket_name = "b"}'],
      /bucket_region/,
    ],
    [[...base, '--safekeepers', '1=h:1=http://h:2', '--listen-http', 'nope'], /expected HOST:PORT/],
    [[...base, '--safekeepers', '1=h:1=http://h:2', '--colour'], /Unknown option/],
  ];
  for (const [argv, pattern] of cases)
    assert.throws(
      () => parsePageserverArgs(argv),
      (error: unknown) =>
        error instanceof AppError && error.code === 'usage' && pattern.test(error.message),
      argv.join(' '),
    );
});
