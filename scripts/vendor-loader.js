// Runtime part of the bundle (scripts/bundle.js puts it into dist/bundle): loads one of the
// CommonJS vendor bundles in dist/bundle/vendor with a V8 code cache beside it, so that a Node
// start does not compile oclif or s3rver again. Node >= 22.1 has its own compile cache
// (module.enableCompileCache, called by bin/*): there the file is simply required. If the cache
// is missing, unreadable or rejected (another Node or V8 flags) the file is compiled as usual and
// the cache rewritten; failing to write it (a read-only install) only costs the speed-up.
import Module, { createRequire } from 'node:module';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const CACHE_SUFFIX = '.v8-cache';

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

function importFromVendor(specifier) {
  return import(specifier);
}

/** module.exports of a vendor bundle (a file: URL or path, e.g. dist/bundle/vendor/oclif.cjs). */
export function loadVendor(location) {
  const file = location instanceof URL ? fileURLToPath(location) : location;
  const require = createRequire(file);
  if (typeof Module.enableCompileCache === 'function') return require(file);
  const cacheFile = `${file}${CACHE_SUFFIX}`;
  const cachedData = readCache(cacheFile);
  // Module.wrap's parameters plus the import() the vendor code uses (see scripts/bundle.js).
  const source = `(function (exports, require, module, __filename, __dirname, __neonLocalImport) {${readFileSync(file, 'utf8')}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  const vendorModule = new Module(file);
  vendorModule.filename = file;
  script
    .runInThisContext()
    .call(
      vendorModule.exports,
      vendorModule.exports,
      require,
      vendorModule,
      file,
      dirname(file),
      importFromVendor,
    );
  vendorModule.loaded = true;
  if (cachedData === undefined || script.cachedDataRejected === true)
    writeCache(cacheFile, script.createCachedData());
  return vendorModule.exports;
}
