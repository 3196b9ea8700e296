#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS NEON_LOCAL_DEFERRED_CA_CERTS=${NODE_EXTRA_CA_CERTS} node
// The neon_local CLI (oclif). `npm run build` bundles oclif and every command into
// dist/bundle/cli.cjs (scripts/bundle.js), which package.json names as oclif's explicit command
// target; oclif.manifest.json lists the commands, so listing them loads nothing. CommonJS, like
// everything in bin/ (bin/package.json): a start never initialises Node's ESM loader.
//
// The first line starts Node without NODE_EXTRA_CA_CERTS (GNU env expands the ${...} before it
// unsets the variable): Node 20 would read that file at start-up, 45-80 ms of CPU per command,
// and hardly a command talks TLS. adoptDeferredExtraCaCerts puts the variable back for child
// processes and loads the file when the CLI itself makes an https connection
// (src/common/tls-trust.ts). `node bin/run.js` skips the first line and simply loads the file.
'use strict';
const { enableCompileCache } = require('node:module');
const { join } = require('node:path');

// Node >= 22.1 caches compiled code between runs; on Node 20, loader.cjs keeps V8 code caches.
enableCompileCache?.();
const { loadBundle } = require('../dist/bundle/loader.cjs');
const { execute, adoptDeferredExtraCaCerts } = loadBundle(
  join(__dirname, '..', 'dist', 'bundle', 'cli.cjs'),
);
adoptDeferredExtraCaCerts();

// The package root itself: oclif would otherwise look for it upwards from here, and find
// bin/package.json first.
void execute({ dir: join(__dirname, '..') }).then(() => {
  // Every command closes what it opened; exit explicitly anyway so that a stray handle can never
  // keep a finished command alive. process.exitCode carries the command's exit code.
  process.exit();
});
