#!/usr/bin/env node
// The neon_local CLI (oclif). `npm run build` bundles oclif and every command into
// dist/bundle/cli.js (scripts/bundle.js), which package.json names as oclif's explicit command
// target; oclif.manifest.json lists the commands, so listing them loads nothing.
import module from 'node:module';

// Node >= 22.1 caches compiled code between runs; Node 20 has no such cache.
module.enableCompileCache?.();
const { execute } = await import('../dist/bundle/cli.js');

await execute({ dir: import.meta.url });
// Every command closes what it opened; exit explicitly anyway so that a stray handle can never
// keep a finished command alive. process.exitCode carries the command's exit code.
process.exit();
