#!/usr/bin/env node
// The minimal pageserver daemon (see src/pageserver/main.ts).
import module from 'node:module';

// Node >= 22.1 caches compiled code between runs; Node 20 has no such cache.
module.enableCompileCache?.();
const { main } = await import('../dist/bundle/pageserver.js');

await main(process.argv.slice(2));
