#!/usr/bin/env node
// The embedded S3-compatible server (see src/s3-server/main.ts).
'use strict';
const { enableCompileCache } = require('node:module');
const { join } = require('node:path');

// Node >= 22.1 caches compiled code between runs; on Node 20, loader.cjs keeps V8 code caches.
enableCompileCache?.();
const { loadBundle } = require('../dist/bundle/loader.cjs');
const { main } = loadBundle(join(__dirname, '..', 'dist', 'bundle', 's3-server.cjs'));

void main(process.argv.slice(2));
