#!/usr/bin/env node
// The embedded S3-compatible server (see src/s3-server/main.ts).
import { main } from '../dist/src/s3-server/main.js';

await main(process.argv.slice(2));
