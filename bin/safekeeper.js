#!/usr/bin/env node
// The safekeeper daemon (see src/safekeeper/main.ts).
import { main } from '../dist/src/safekeeper/main.js';

await main(process.argv.slice(2));
