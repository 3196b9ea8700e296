// Runtime part of the bundle (scripts/bundle.js puts it into dist/bundle): loads a CommonJS vendor
// bundle of dist/bundle/vendor with the V8 code cache beside it, so a Node 20 start does not compile
// oclif or s3rver again (Node >= 22.1 has its own compile cache, enabled by bin/*: there the file is
// simply required). A missing or rejected cache (other Node, other V8 flags) means a normal compile
// and a rewritten cache; an unwritable one (read-only install) only loses the speed-up.
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
