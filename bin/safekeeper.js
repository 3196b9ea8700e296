#!/usr/bin/env node
// The safekeeper daemon (see src/safekeeper/main.ts).
'use strict';
const { enableCompileCache } = require('node:module');
const { join } = require('node:path');

// Node >= 22.1 caches compiled code between runs; on Node 20, loader.cjs keeps V8 code caches.
enableCompileCache?.();
const { loadBundle } = require('../dist/bundle/loader.cjs');
const { main } = loadBundle(join(__dirname, '..', 'dist', 'bundle', 'safekeeper.cjs'));

void main(process.argv.slice(2));
