#!/usr/bin/env node
// The minimal pageserver daemon (see src/pageserver/main.ts).
'use strict';
const { enableCompileCache } = require('node:module');
const { join } = require('node:path');

// Node >= 22.1 caches compiled code between runs; on Node 20, loader.cjs keeps V8 code caches.
enableCompileCache?.();
const { loadBundle } = require('../dist/bundle/loader.cjs');
const { main } = loadBundle(join(__dirname, '..', 'dist', 'bundle', 'pageserver.cjs'));

void main(process.argv.slice(2));
