import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClusterConfig } from '../../../src/cluster/config.js';
import { createConfigText } from '../../../src/cluster/init.js';
import { renderTemplate } from '../../../src/cluster/template.js';
import { AppError } from '../../../src/common/errors.js';

const VALID = `
[cluster]
format_version = 1
[etcd]
client_port = 2379
peer_port = 2380
[remote_storage]
kind = "embedded"
port = 9000
[[safekeepers]]
id = 1
pg_port = 5454
http_port = 7676
[[safekeepers]]
id = 12
pg_port = 5455
http_port = 7677
sync = false
`;

test('a minimal config parses with defaults filled in', () => {
  const config = parseClusterConfig(VALID, 'test');
  assert.equal(config.etcd.binary, '/usr/bin/etcd');
  assert.equal(config.etcd.prefix, 'neon');
  assert.equal(config.remoteStorage.bucket, 'neon-local');
  assert.deepEqual(
    config.safekeepers.map((sk) => [sk.id, sk.sync]),
    [
      [1, true],
      [12, false],
    ],
  );
  assert.ok(Object.isFrozen(config.safekeepers[0]));
  // A config written before the pageserver existed runs one, on neon's port.
  assert.deepEqual(config.pageserver, {
    enabled: true,
    httpPort: 9898,
    checkpointIntervalMs: 30_000,
    sync: true,
  });
});

test('a disabled pageserver claims no port', () => {
  const text = `${VALID}\n[pageserver]\nenabled = false\nhttp_port = 7676\ncheckpoint_interval = "2m"\n`;
  const config = parseClusterConfig(text, 'test');
  assert.equal(config.pageserver.enabled, false);
  assert.equal(config.pageserver.checkpointIntervalMs, 120_000);
});

test('every problem names its key and exits 3', () => {
  const table: [string, RegExp][] = [
    [VALID.replace('format_version = 1', 'format_version = 2'), /cluster\.format_version is 2/],
    [
      VALID.replace('[cluster]\nformat_version = 1', ''),
      /cluster\.format_version must be an integer/,
    ],
    [
      VALID.replace('peer_port = 2380', 'peer_port = 0'),
      /etcd\.peer_port must be an integer from 1 to 65535 \(got 0\)/,
    ],
    [
      VALID.replace('peer_port = 2380', 'peer_port = 2379'),
      /etcd\.peer_port uses port 2379, which etcd\.client_port already uses/,
    ],
    [
      VALID.replace('http_port = 7677', 'http_port = 7676'),
      /safekeepers\[1\]\.http_port uses port 7676/,
    ],
    [
      VALID.replace('kind = "embedded"', 'kind = "embedded"\nbucket = "Bad_Bucket"'),
      /remote_storage\.bucket must be a valid S3 bucket name/,
    ],
    [
      VALID.replace('kind = "embedded"', 'kind = "embedded"\nendpoint = "http://x:1"'),
      /remote_storage\.endpoint is only used with kind = "s3"/,
    ],
    [
      VALID.replace('kind = "embedded"', 'kind = "s3"\nendpoint = "ftp://x"'),
      /remote_storage\.endpoint must be a URL/,
    ],
    [
      VALID.replace('[etcd]', '[etcd]\nendpoints = ["localhost:2379"]'),
      /etcd\.endpoints must hold URLs/,
    ],
    [VALID.replace('[etcd]', '[etcd]\nprefix = "/neon/"'), /etcd\.prefix must be path-like/],
    [
      VALID.replace('sync = false', 'sync = "no"'),
      /safekeepers\[1\]\.sync must be true or false \(got "no"\)/,
    ],
    [VALID.replace('id = 12', 'id = -3'), /safekeepers\[1\]\.id must be an integer from 1/],
    [VALID.split('[[safekeepers]]')[0]!, /safekeepers must list at least one/],
    [`${VALID}\n[pageserver]\nid = 1\n`, /pageserver\.id is not a known key/],
    [
      `${VALID}\n[pageserver]\ncheckpoint_interval = "soon"\n`,
      /pageserver\.checkpoint_interval must be a duration like "30s" or "5m" \(got "soon"\)/,
    ],
    [
      `${VALID}\n[pageserver]\ncheckpoint_interval = "10ms"\n`,
      /pageserver\.checkpoint_interval must be between 100ms and 24h/,
    ],
    [
      `${VALID}\n[pageserver]\nhttp_port = 7677\n`,
      /pageserver\.http_port uses port 7677, which safekeepers\[1\]\.http_port already uses/,
    ],
    [`${VALID}\n[pageserver]\nenabled = 1\n`, /pageserver\.enabled must be true or false/],
    [
      `remote_storage = 5\n${VALID.replace('[remote_storage]\nkind = "embedded"\nport = 9000', '')}`,
      /: remote_storage must be a table \(got 5\)/,
    ],
    ['this is = = not toml', /not valid TOML/],
  ];
  for (const [text, pattern] of table) {
    assert.throws(
      () => parseClusterConfig(text, '/repo/config'),
      (error: unknown) =>
        error instanceof AppError &&
        error.exitCode === 3 &&
        pattern.test(error.message) &&
        error.message.startsWith('bad config /repo/config: '),
      pattern.source,
    );
  }
});

test('init renders a config that parses back, with the port offset applied', async () => {
  const { text, config } = await createConfigText(
    { safekeeperCount: 4, portOffset: 31_000, sync: false, remoteStorage: 'embedded' },
    new Date('2026-01-02T03:04:05Z'),
  );
  assert.match(text, /created_at = "2026-01-02T03:04:05.000Z"/);
  assert.deepEqual(parseClusterConfig(text, 'again'), config);
  assert.equal(config.safekeepers.length, 4);
  assert.ok(config.etcd.clientPort >= 33_379);
  assert.ok(
    config.safekeepers.every((sk) => sk.pgPort >= 36_454 && sk.httpPort >= 38_676 && !sk.sync),
  );
  const ports = [
    config.etcd.clientPort,
    config.etcd.peerPort,
    config.remoteStorage.port,
    config.remoteStorage.consolePort,
    ...config.safekeepers.flatMap((sk) => [sk.pgPort, sk.httpPort]),
    config.pageserver.httpPort,
  ];
  assert.ok(config.pageserver.enabled && !config.pageserver.sync);
  assert.ok(config.pageserver.httpPort >= 40_898);
  assert.equal(new Set(ports).size, ports.length, 'no port is chosen twice');
});

test('init refuses bad counts and offsets', async () => {
  await assert.rejects(
    createConfigText({ safekeeperCount: 0 }, new Date()),
    /invalid safekeeper count 0/,
  );
  await assert.rejects(createConfigText({ portOffset: -1 }, new Date()), /invalid port offset -1/);
  await assert.rejects(
    createConfigText({ etcdBinary: '/nonexistent/etcd' }, new Date()),
    /etcd binary \/nonexistent\/etcd is missing/,
  );
});

test('renderTemplate fills placeholders and fails loudly on a mismatch', () => {
  assert.equal(renderTemplate('a={{x}} b={{y}}', { x: '1', y: '"2"' }), 'a=1 b="2"');
  assert.throws(() => renderTemplate('a={{x}}', {}), /placeholder \{\{x\}\} has no value/);
  assert.throws(() => renderTemplate('a', { x: '1' }), /value x has no placeholder/);
});
