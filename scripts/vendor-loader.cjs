// Runtime part of the bundle (scripts/bundle.js copies it to dist/bundle/loader.cjs): loads a
// CommonJS bundle of dist/bundle (an entry such as cli.cjs, or a vendor bundle of
// dist/bundle/vendor) with the V8 code cache beside it, so a Node 20 start does not compile oclif,
// s3rver or our own code again (Node >= 22.1 has its own compile cache, enabled by bin/*: there the
// file is simply required). A missing or rejected cache (other Node, other V8 flags) means a
// normal compile and a rewritten cache; an unwritable one (read-only install) only loses the
// speed-up. CommonJS, so that bin/* start without Node's ESM loader.
//
// A cache made right after loading holds only what the load compiled: the functions a start
// then runs (a command, a daemon's set-up) are compiled again on every start. So the first
// WARM_WRITES processes to exit after a cache was made write it again with every function they
// compiled or read from it (so the writes add up: start, status, stop...), unless that came out
// smaller than the cache they read (a short run after a long one), counting them in a marker
// beside it (`.warm`); later processes only read it. The build's own loads
// (NEON_LOCAL_COLD_CODE_CACHE=1) do not count. Measured (test/bench/README.md): `start` 440 ->
// 383-406 ms, and 772-805 -> 637-642 ms with a timeline.
'use strict';
const Module = require('node:module');
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { fileURLToPath } = require('node:url');
const vm = require('node:vm');

const CACHE_SUFFIX = '.v8-cache';
const WARM_MARKER_SUFFIX = '.warm';
const WARM_WRITES = 8;

/** How many warm writes the cache has had (0: none, or no readable marker). */
function warmWrites(markerFile) {
  try {
    const count = Number.parseInt(readFileSync(markerFile, 'utf8'), 10);
    return Number.isInteger(count) && count >= 0 ? count : 0;
  } catch {
    return 0;
  }
}

function readCache(path) {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function writeCache(path, data) {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch {
    // Not writable: run without the cache.
  }
}

/**
 * At this process's exit: the cache again, with what the process compiled, if that is more than
 * the `loadedBytes` it read; and the count.
 */
function writeWarmCacheAtExit(script, cacheFile, writesBefore, loadedBytes) {
  process.once('exit', () => {
    // Never a reason for a process to end otherwise than it would have.
    try {
      const data = script.createCachedData();
      if (data.length > loadedBytes) writeCache(cacheFile, data);
      writeCache(`${cacheFile}${WARM_MARKER_SUFFIX}`, `${writesBefore + 1}\n`);
    } catch {
      // The next process tries again.
    }
  });
}

function importFromBundle(specifier) {
  return import(specifier);
}

/** module.exports of a bundle (a file: URL or path, e.g. dist/bundle/cli.cjs or vendor/oclif.cjs). */
function loadBundle(location) {
  const file = location instanceof URL ? fileURLToPath(location) : location;
  const require = Module.createRequire(file);
  if (typeof Module.enableCompileCache === 'function') return require(file);
  const cached = require.cache[file];
  if (cached !== undefined) return cached.exports;
  const cacheFile = `${file}${CACHE_SUFFIX}`;
  const cachedData = readCache(cacheFile);
  // Module.wrap's parameters plus the import() the bundled code uses (see scripts/bundle.js).
  const source = `(function (exports, require, module, __filename, __dirname, __neonLocalImport) {${readFileSync(file, 'utf8')}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  const bundleModule = new Module(file);
  bundleModule.filename = file;
  // Registered like a required file, so that a later require() of it (oclif loading the CLI's
  // commands) gets this instance instead of a second copy.
  require.cache[file] = bundleModule;
  try {
    script
      .runInThisContext()
      .call(
        bundleModule.exports,
        bundleModule.exports,
        require,
        bundleModule,
        file,
        dirname(file),
        importFromBundle,
      );
  } catch (error) {
    Reflect.deleteProperty(require.cache, file);
    throw error;
  }
  bundleModule.loaded = true;
  const coldCache = cachedData === undefined || script.cachedDataRejected === true;
  if (coldCache) {
    try {
      rmSync(`${cacheFile}${WARM_MARKER_SUFFIX}`, { force: true });
    } catch {
      // Not writable: the cache is not written either.
    }
    writeCache(cacheFile, script.createCachedData());
  }
  const writes = coldCache ? 0 : warmWrites(`${cacheFile}${WARM_MARKER_SUFFIX}`);
  if (process.env.NEON_LOCAL_COLD_CODE_CACHE !== '1' && writes < WARM_WRITES)
    writeWarmCacheAtExit(script, cacheFile, writes, coldCache ? 0 : cachedData.length);
  return bundleModule.exports;
}

module.exports = { loadBundle };
