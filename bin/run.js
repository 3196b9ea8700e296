#!/usr/bin/env node
// The neon_local CLI (oclif). Commands live in dist/src/commands; oclif.manifest.json lists them.
import module from 'node:module';

// Node >= 22.1 caches compiled code between runs; Node 20 has no such cache.
module.enableCompileCache?.();
const { execute } = await import('@oclif/core');

await execute({ dir: import.meta.url });
// Every command closes what it opened; exit explicitly anyway so that a stray handle can never
// keep a finished command alive. process.exitCode carries the command's exit code.
process.exit();
