import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageserverComponent } from '../../../src/cluster/components/pageserver.js';
import { safekeeperComponent } from '../../../src/cluster/components/safekeeper.js';
import { extraCaCertsEnv } from '../../../src/cluster/process/spawn-daemon.js';
import { RepoLayout } from '../../../src/cluster/repo-layout.js';
import type { ClusterConfig } from '../../../src/cluster/config.js';
import { configWith } from '../../helpers/small-config.js';

const CA_FILE = '/etc/ssl/private-ca.pem';

test('NODE_EXTRA_CA_CERTS is handed on only with an https URL', () => {
  const cases: [readonly string[], NodeJS.ProcessEnv, Record<string, string>][] = [
    [['http://127.0.0.1:9000'], { NODE_EXTRA_CA_CERTS: CA_FILE }, {}],
    [
      ['http://127.0.0.1:2379', 'https://s3.example.test'],
      { NODE_EXTRA_CA_CERTS: CA_FILE },
      { NODE_EXTRA_CA_CERTS: CA_FILE },
    ],
    [['https://s3.example.test'], {}, {}],
    [['https://s3.example.test'], { NODE_EXTRA_CA_CERTS: '' }, {}],
    [[], { NODE_EXTRA_CA_CERTS: CA_FILE }, {}],
  ];
  for (const [urls, env, expected] of cases)
    assert.deepEqual(extraCaCertsEnv(urls, env), expected, urls.join(' '));
});

test('the safekeepers and the pageserver keep NODE_EXTRA_CA_CERTS for https endpoints only', async (t) => {
  const before = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = CA_FILE;
  t.after(() => {
    if (before === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = before;
  });
  const layout = new RepoLayout('/tmp/neon-local-test-repo');
  const envs = async (config: ClusterConfig) => {
    const safekeeper = safekeeperComponent(config, layout, config.safekeepers[0]!);
    return {
      safekeeper: (await safekeeper.launchSpec()).env.NODE_EXTRA_CA_CERTS,
      pageserver: (await pageserverComponent(config, layout).launchSpec()).env.NODE_EXTRA_CA_CERTS,
    };
  };
  assert.deepEqual(await envs(configWith('kind = "embedded"\nport = 9000')), {
    safekeeper: undefined,
    pageserver: undefined,
  });
  assert.deepEqual(await envs(configWith('kind = "s3"\nendpoint = "https://s3.example.test"')), {
    safekeeper: CA_FILE,
    pageserver: CA_FILE,
  });
  assert.deepEqual(await envs(configWith('kind = "s3"\nendpoint = "http://127.0.0.1:9000"')), {
    safekeeper: undefined,
    pageserver: undefined,
  });
  const httpsBroker = configWith(
    'kind = "embedded"\nport = 9000',
    'endpoints = ["https://etcd.example.test:2379"]',
  );
  assert.deepEqual(await envs(httpsBroker), { safekeeper: CA_FILE, pageserver: undefined });
});
