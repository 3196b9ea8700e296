// adoptDeferredExtraCaCerts: bin/run.js's hand-over of NODE_EXTRA_CA_CERTS is undone exactly once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  adoptDeferredExtraCaCerts,
  DEFERRED_CA_CERTS_ENV,
  deferredExtraCaCertsFile,
  forgetDeferredExtraCaCerts,
} from '../../../src/common/tls-trust.js';

test('a deferred file goes back into the environment and is remembered', (t) => {
  t.after(forgetDeferredExtraCaCerts);
  const env: NodeJS.ProcessEnv = { [DEFERRED_CA_CERTS_ENV]: '/etc/ca.pem', PATH: '/bin' };
  adoptDeferredExtraCaCerts(env);
  assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/ca.pem', PATH: '/bin' });
  assert.equal(deferredExtraCaCertsFile(), '/etc/ca.pem');
});

test('an empty hand-over (the variable was unset) defers nothing', (t) => {
  t.after(forgetDeferredExtraCaCerts);
  const env: NodeJS.ProcessEnv = { [DEFERRED_CA_CERTS_ENV]: '' };
  adoptDeferredExtraCaCerts(env);
  assert.deepEqual(env, {});
  assert.equal(deferredExtraCaCertsFile(), undefined);
});

test('without a hand-over (node bin/run.js, the API) nothing changes', () => {
  const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/etc/ca.pem' };
  adoptDeferredExtraCaCerts(env);
  assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
  assert.equal(deferredExtraCaCertsFile(), undefined);
});
