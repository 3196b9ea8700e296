#!/usr/bin/env node
// The embedded S3-compatible server (see src/s3-server/main.ts).
import module from 'node:module';

// Node >= 22.1 caches compiled code between runs; Node 20 has no such cache.
module.enableCompileCache?.();
const { main } = await import('../dist/bundle/s3-server.js');

await main(process.argv.slice(2));
