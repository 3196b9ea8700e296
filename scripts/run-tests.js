// Runs the compiled node:test files of one or more kinds (unit, integration, bench) in a single
// `node --test` run, so that there is one summary. Node 20 does not expand globs itself.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const kinds = process.argv.slice(2);
if (kinds.length === 0) kinds.push('unit', 'integration');

function findTests(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.js') || (kinds.includes('bench') && name.endsWith('.bench.js'))
      ? [path]
      : [];
  });
}

const files = kinds.flatMap((kind) => findTests(join(root, 'dist', 'test', kind))).sort();
if (files.length === 0) {
  console.error(`no compiled test files for ${kinds.join(', ')}: run npm run build first`);
  process.exit(1);
}
if (kinds.includes('bench')) {
  // Benchmarks are plain scripts that print one JSON line each; run them one at a time.
  let failed = 0;
  for (const file of files) {
    const result = spawnSync(process.execPath, [file], { stdio: 'inherit', cwd: root });
    if (result.status !== 0) failed++;
  }
  process.exit(failed === 0 ? 0 : 1);
}
const reporter = process.env.CI ? ['--test-reporter=tap'] : [];
// Children spawned by tests need no extra CA certificates; dropping them saves ~40 ms per Node start.
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const result = spawnSync(process.execPath, ['--test', ...reporter, ...files], {
  stdio: 'inherit',
  cwd: root,
  env,
});
process.exit(result.status ?? 1);
