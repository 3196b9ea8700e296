#!/usr/bin/env node
// The neon_local CLI (oclif). `npm run build` bundles oclif and every command into
// dist/bundle/cli.cjs (scripts/bundle.js), which package.json names as oclif's explicit command
// target; oclif.manifest.json lists the commands, so listing them loads nothing. CommonJS, like
// everything in bin/ (bin/package.json): a start never initialises Node's ESM loader.
'use strict';
const { enableCompileCache } = require('node:module');
const { join } = require('node:path');

// Node >= 22.1 caches compiled code between runs; on Node 20, loader.cjs keeps V8 code caches.
enableCompileCache?.();
const { loadBundle } = require('../dist/bundle/loader.cjs');
const { execute } = loadBundle(join(__dirname, '..', 'dist', 'bundle', 'cli.cjs'));

// The package root itself: oclif would otherwise look for it upwards from here, and find
// bin/package.json first.
void execute({ dir: join(__dirname, '..') }).then(() => {
  // Every command closes what it opened; exit explicitly anyway so that a stray handle can never
  // keep a finished command alive. process.exitCode carries the command's exit code.
  process.exit();
});
