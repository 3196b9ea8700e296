// The bundles' loader (scripts/vendor-loader.cjs, copied to dist/bundle/loader.cjs) on Node 20,
// where it keeps V8 code caches itself: a cold cache at the first load (the build's, with
// NEON_LOCAL_COLD_CODE_CACHE=1, counts for nothing), then the first 8 processes to exit write it
// again with what they compiled (unless that is less than they read), counted in the `.warm`
// marker; a changed bundle starts over.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../helpers/cli.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const LOADER = join(PROJECT_ROOT, 'dist', 'bundle', 'loader.cjs');
const hasNodeCompileCache =
  typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

// Functions that only a call compiles (V8 compiles them lazily).
const BUNDLE = `exports.work = function work() {
  const parts = [];
  for (let index = 0; index < 50; index++) parts.push(helper(index));
  return parts.join(',');
};
function helper(value) {
  return [value, value * 2, value * 3].map((x) => x.toString(16)).join(':');
}
`;

function load(bundle: string, options: { call: boolean; cold?: boolean }): void {
  const code = `const m = require(${JSON.stringify(LOADER)}).loadBundle(${JSON.stringify(bundle)});${options.call ? 'm.work();' : ''}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.cold === true) env.NEON_LOCAL_COLD_CODE_CACHE = '1';
  else delete env.NEON_LOCAL_COLD_CODE_CACHE;
  const run = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
}

const marker = (bundle: string): string | undefined => {
  try {
    return readFileSync(`${bundle}.v8-cache.warm`, 'utf8').trim();
  } catch {
    return undefined;
  }
};

test(
  'code caches: cold at the build, warmed by the first runs, then left alone',
  { skip: hasNodeCompileCache ? 'Node has its own compile cache here' : false },
  async (t) => {
    const dir = await makeTempDir(t);
    const bundle = join(dir, 'bundle.cjs');
    writeFileSync(bundle, BUNDLE);
    const cache = `${bundle}.v8-cache`;

    load(bundle, { call: false, cold: true });
    const coldBytes = statSync(cache).size;
    assert.equal(marker(bundle), undefined, "the build's load is no warm write");

    load(bundle, { call: true });
    assert.equal(marker(bundle), '1');
    assert.ok(statSync(cache).size > coldBytes, 'the run compiled work() and helper() into it');

    // A shorter run (nothing called) leaves the richer cache in place, and still counts.
    const afterFirst = readFileSync(cache);
    load(bundle, { call: false });
    assert.equal(marker(bundle), '2');
    assert.ok(readFileSync(cache).equals(afterFirst), 'not replaced by a smaller one');

    for (let run = 3; run <= 8; run++) load(bundle, { call: true });
    assert.equal(marker(bundle), '8');
    const warm = readFileSync(cache);
    load(bundle, { call: false });
    assert.ok(readFileSync(cache).equals(warm), 'after 8 writes the cache is only read');

    // A rebuilt bundle: its old cache is rejected, made again, and warmed again.
    writeFileSync(bundle, `${BUNDLE}exports.version = 2;\n`);
    load(bundle, { call: true });
    assert.equal(marker(bundle), '1');
  },
);
