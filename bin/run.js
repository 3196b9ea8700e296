#!/usr/bin/env node
// The neon_local CLI (oclif). Commands live in dist/src/commands; oclif.manifest.json lists them.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
// Every command closes what it opened; exit explicitly anyway so that a stray handle can never
// keep a finished command alive. process.exitCode carries the command's exit code.
process.exit();
