// Bundles what bin/run.js, bin/safekeeper.js, bin/pageserver.js and bin/s3-server.js
// load (run by `npm run build`, after tsc, from tsc's output in dist/src) into dist/bundle: one CommonJS file per entry
// (cli.cjs, safekeeper.cjs, ...) plus the vendor bundles, each loaded by dist/bundle/loader.cjs
// with a V8 code cache. Loading one file instead of hundreds of modules is most of a Node start
// here; CommonJS throughout spares every start Node's ESM loader and the ESM facades of the
// built-in modules. Must not change behaviour: a module behind an import() is still initialised
// only when imported, and the heavy, rarely needed packages stay in node_modules (see EXTERNAL).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist', 'src');
const outdir = join(root, 'dist', 'bundle');

/**
 * Imported lazily and only by a few commands or tasks (bundling them would only make the build and
 * the bundle bigger; pino-pretty, used by `logs`, also requires Node built-ins dynamically, which
 * an ESM bundle cannot do), or only in development (oclif requires typescript to read a tsconfig
 * when NODE_ENV is development or test). They load from node_modules exactly as without a bundle.
 */
const EXTERNAL = ['@aws-sdk/*', 'cockatiel', 'pino-pretty', 'typescript'];

/**
 * The big CommonJS packages loaded at start-up, each bundled into dist/bundle/vendor/<file>.cjs
 * and loaded by dist/bundle/loader.cjs with a V8 code cache (Node 20 has no compile cache of
 * its own). Our code imports them as before; the entry bundle gets a small module in their place.
 */
const VENDORS = [
  { specifier: '@oclif/core', file: 'oclif' },
  { specifier: 's3rver', file: 's3rver' },
  { specifier: 'prom-client', file: 'prom-client' },
  { specifier: 'pino', file: 'pino' },
  // The safekeepers' etcd client, loaded by each one right after its ports are bound, while the
  // rest of the cluster still starts: gRPC, protobuf and etcd3 compile in ~190 ms of CPU from
  // node_modules, ~100 ms from the bundle and its code cache. It reads its .proto files from
  // `${__dirname}/../proto`, so they are copied to dist/bundle/proto (ETCD3_PROTO_DIR).
  { specifier: 'etcd3', file: 'etcd3' },
];
/** Where etcd3's bundle finds rpc.proto and the files it imports. */
const ETCD3_PROTO_DIR = join(outdir, 'proto');
/** scripts/vendor-loader.cjs, copied beside the bundles: bin/* and the vendor shims require it. */
const LOADER_SOURCE = join(root, 'scripts', 'vendor-loader.cjs');
const LOADER_FILE = 'loader.cjs';

/** oclif's explicit command strategy reads this export of the CLI bundle (see package.json). */
const COMMANDS_EXPORT = 'COMMANDS';

function findCommandFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findCommandFiles(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

/** The CLI entry: oclif's execute plus every command class keyed by its id ("sk:timeline:list"). */
function cliEntrySource() {
  const commandsDir = join(compiled, 'commands');
  const files = findCommandFiles(commandsDir).sort();
  const ids = files.map((file) =>
    relative(commandsDir, file).replace(/\.js$/, '').split(sep).join(':'),
  );
  checkCommandOrder(ids);
  const imports = files.map(
    (file, index) => `import C${index} from ${JSON.stringify(`./${relative(root, file)}`)};`,
  );
  const entries = ids.map((id, index) => `  ${JSON.stringify(id)}: C${index},`);
  return [
    "export { execute } from '@oclif/core';",
    // bin/run.js hands NODE_EXTRA_CA_CERTS back before anything else runs (src/common/tls-trust.ts).
    `export { adoptDeferredExtraCaCerts } from ${JSON.stringify(`./${relative(root, join(compiled, 'common', 'tls-trust.js'))}`)};`,
    ...imports,
    `export const ${COMMANDS_EXPORT} = {`,
    ...entries,
    '};',
  ].join('\n');
}

const virtualCliEntry = {
  name: 'neon-local-cli-entry',
  setup(builder) {
    builder.onResolve({ filter: /^neon-local:cli$/ }, () => ({
      path: 'cli',
      namespace: 'neon-local',
    }));
    builder.onLoad({ filter: /.*/, namespace: 'neon-local' }, () => ({
      contents: cliEntrySource(),
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * dist/src/cluster/package-root.js finds the package root three levels above itself; every entry
 * bundle sits directly in dist/bundle, two levels below the root.
 */
const packageRootInBundle = {
  name: 'neon-local-package-root',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/]src[\\/]cluster[\\/]package-root\.js$/ }, () => ({
      contents:
        "import { join } from 'node:path';\nexport const PACKAGE_ROOT = join(__dirname, '..', '..', '/');",
      loader: 'js',
    }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  sourcemap: 'linked',
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  metafile: true,
};

/**
 * Node 20 loses a vm.Script's import() callback when the script comes from a code cache, so the
 * bundled code must not call import() itself: oclif's module loader and lilconfig, and our own
 * imports of the EXTERNAL packages, call __vendorImport instead, which loader.cjs passes in (and
 * which is plain import() when the file is simply required).
 */
/**
 * import.meta.url in an entry's code: the bundle's own URL (every entry bundle sits directly in
 * dist/bundle, as package-root.js assumes), instead of the empty import.meta of a CommonJS file.
 */
const IMPORT_META_URL = '__neonLocalImportMetaUrl';
const IMPORT_META_URL_BANNER = `var ${IMPORT_META_URL} = require('node:url').pathToFileURL(__filename).href;`;

const VENDOR_IMPORT_BANNER =
  "var __vendorImport = typeof __neonLocalImport === 'function' ? __neonLocalImport : (specifier) => import(specifier);";
const VENDOR_IMPORT_FILES =
  /(@oclif[\\/]core[\\/]lib[\\/](module-loader|config[\\/]ts-path)|lilconfig[\\/]src[\\/]index)\.js$/;

/**
 * oclif sorts the command list with localeCompare, whose first call builds an ICU collator: about
 * 6 ms of every CLI start. Our command ids are lower-case ASCII, for which code-point order is the
 * same order (checkCommandOrder asserts it), so the vendor bundle compares them directly.
 */
const OCLIF_PLUGIN_FILE = /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/;
const OCLIF_COMMAND_SORT = '.sort((a, b) => a.id.localeCompare(b.id))';
const CODE_POINT_COMMAND_SORT = '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))';

/**
 * prom-client's index requires its Pushgateway (https, tls, zlib) and cluster aggregator at load;
 * the safekeeper uses neither, so they become getters that require them on first use.
 */
const PROM_CLIENT_INDEX_FILE = /prom-client[\\/]index\.js$/;
const PROM_CLIENT_LAZY_EXPORTS = [
  ['Pushgateway', './lib/pushgateway'],
  ['AggregatorRegistry', './lib/cluster'],
  // The process metrics and node:v8 under them: our daemons register them at the first scrape.
  ['collectDefaultMetrics', './lib/defaultMetrics'],
];

/**
 * oclif's index checks at load that Node satisfies oclif's own engines, with semver: in this
 * bundle the check reads dist/bundle/package.json, which does not exist, so it never warned, but
 * its semver.satisfies still built semver's regular expressions, about 7 ms of every CLI start.
 * The call is dropped; checkOclifEngines makes the build fail unless our package.json's engines
 * (which npm checks) ask for at least the Node that oclif asks for.
 */
const OCLIF_INDEX_FILE = /@oclif[\\/]core[\\/]lib[\\/]index\.js$/;
const OCLIF_ENGINE_CHECK_CALL = '\ncheckNodeVersion();\n';
const NO_ENGINE_CHECK_CALL = '\n// checkNodeVersion(): see scripts/bundle.js\n';

/** [major, minor, patch] of a `>=X.Y.Z` range (missing parts 0); fails on any other form. */
function minimumOf(range, what) {
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (match === null) throw new Error(`${what} engines.node "${range}" is not of the form >=X.Y.Z`);
  return match.slice(1).map((part) => Number(part ?? 0));
}

function checkOclifEngines() {
  const read = (path) => JSON.parse(readFileSync(path, 'utf8')).engines.node;
  const ours = minimumOf(read(join(root, 'package.json')), 'our');
  const require = createRequire(import.meta.url);
  const oclifRange = read(require.resolve('@oclif/core/package.json'));
  const oclif = minimumOf(oclifRange, '@oclif/core');
  const difference = ours.map((part, index) => part - oclif[index]).find((d) => d !== 0) ?? 0;
  if (difference < 0)
    throw new Error(`engines.node ${ours.join('.')} is below @oclif/core's ${oclifRange}`);
}

/**
 * s3rver's logger middleware builds a winston logger (with colours, formats and a console
 * transport) and koa-logger, about a tenth of its start-up; src/s3-server/main.ts always runs it
 * with `silent: true` (and logs requests itself), where all of that only drops every message. The
 * vendor bundle gets a logger that drops them without loading winston, and refuses silent: false.
 */
const S3RVER_LOGGER_FILE = /s3rver[\\/]lib[\\/]middleware[\\/]logger\.js$/;
const SILENT_S3RVER_LOGGER = `'use strict';
module.exports = function (app, silent) {
  if (silent !== true) throw new Error('this s3rver build (scripts/bundle.js) only runs with silent: true');
  const drop = () => undefined;
  const logger = { log: drop, debug: drop, info: drop, warn: drop, error: drop, close: drop, exceptions: { unhandle: drop } };
  app.logger = app.context.logger = logger;
  return (ctx, next) => next();
};
`;

/**
 * s3rver's object controller requires busboy, which parses POST form uploads (browser uploads,
 * which no client of ours makes), at load. busboy 0.3 and its table of text encodings were half
 * the vendor bundle (527 of 1,085 KB), read, deserialised from the code cache and collected on
 * every start of the S3 server. The vendor bundle leaves it out (VENDOR_EXTERNAL) and requires
 * it from node_modules on first use.
 */
const S3RVER_OBJECT_CONTROLLER_FILE = /s3rver[\\/]lib[\\/]controllers[\\/]object\.js$/;
const S3RVER_BUSBOY_REQUIRE = "const Busboy = require('busboy');";
const LAZY_BUSBOY_REQUIRE =
  "let Busboy$lazy; const Busboy$ = () => (Busboy$lazy ??= require('busboy'));";
/** Left out of the vendor bundle (LAZY_BUSBOY_REQUIRE loads it from node_modules). */
const VENDOR_EXTERNAL = ['busboy'];

/**
 * s3rver takes a dozen functions from the whole of lodash (a 540 KB module, about 7 ms of every S3
 * server start to initialise). The vendor bundle requires each from its own module of the lodash
 * package instead (lodash/pick...), which pulls in only what those functions use. Its one chain()
 * (pickBy, then mapKeys, then value()) becomes the same two calls nested: a chain needs all of
 * lodash.
 */
const S3RVER_LIB_FILE = /s3rver[\\/]lib[\\/].*\.js$/;
const LODASH_DESTRUCTURING = /^const \{ ([\w, ]+) \} = require\('lodash'\);$/m;
const S3RVER_HEADER_OVERRIDE_FILE =
  /s3rver[\\/]lib[\\/]middleware[\\/]response-header-override\.js$/;
const S3RVER_LODASH_CHAIN = [
  [
    "const { chain, isEmpty } = require('lodash');",
    "const { isEmpty, mapKeys, pickBy } = require('lodash');",
  ],
  ['chain(ctx.query)\n      .pickBy(', 'mapKeys(\n      pickBy(ctx.query, '],
  [
    "      })\n      .mapKeys((value, key) => capitalizeHeader(key.slice('response-'.length)))\n      .value();",
    "      }),\n      (value, key) => capitalizeHeader(key.slice('response-'.length)),\n    );",
  ],
];

/** `const { a, b } = require('lodash');` as one require of lodash/<name> per function. */
function perFunctionLodash(path, source) {
  const match = LODASH_DESTRUCTURING.exec(source);
  if (match === null) return source;
  const names = match[1].split(',').map((name) => name.trim());
  const requires = names.map((name) => `${name} = require('lodash/${name}')`).join(', ');
  return replaceOnce(path, source, match[0], `const ${requires};`);
}

/**
 * pino requires thread-stream (its worker-thread transports, which our daemons do not use) and
 * node:worker_threads at load, about 1.5 ms of every daemon start; the vendor bundle requires
 * them where they are used.
 */
const PINO_LAZY_REQUIRES = [
  {
    file: /pino[\\/]lib[\\/]transport\.js$/,
    edits: [
      ["const ThreadStream = require('thread-stream')", ''],
      ['new ThreadStream(', "new (require('thread-stream'))("],
    ],
  },
  {
    file: /pino[\\/]lib[\\/]tools\.js$/,
    edits: [
      ["const { isMainThread } = require('worker_threads')", ''],
      ['!opts.sync && isMainThread', "!opts.sync && require('worker_threads').isMainThread"],
    ],
  },
];

function replaceOnce(path, source, from, to) {
  const contents = source.replaceAll(from, to);
  if (contents === source) throw new Error(`${path} no longer contains ${from}`);
  return contents;
}

/**
 * CommonJS packages whose top-level `require`s are deferred to first use (see deferRequires). Their
 * modules are compiled TypeScript: every import is a `const x_1 = require(...)` binding used only
 * as `x_1.name`, so a module that a run never touches (oclif's help, plugin discovery, spinners,
 * ejs, semver, child_process, readline...) is never initialised.
 */
const DEFERRED_REQUIRE_FILES = /@oclif[\\/]core[\\/]lib[\\/].*\.js$/;

/** `const x_1 = require("m");` (also wrapped in __importDefault or __importStar), at top level. */
const TOP_LEVEL_REQUIRE =
  /^(?:const|var|let) ([A-Za-z_$][\w$]*) = ((?:__importDefault\(|__importStar\()?require\("[^"]+"\)\)?);$/gm;

/**
 * Rewrites each top-level require binding whose every use is a property access (`x_1.name`) into a
 * function that requires the module on first call: `x_1.name` becomes `x_1$()`.name. The module
 * then initialises when it is first used instead of when the requiring module loads; a binding
 * used in any other way (passed on, called, spread) is left as it is.
 */
function deferRequires(source) {
  let contents = source;
  for (const [declaration, name, expression] of source.matchAll(TOP_LEVEL_REQUIRE)) {
    const escaped = name.replace(/\$/g, '\\$');
    const at = contents.indexOf(declaration);
    const uses = [...contents.matchAll(new RegExp(`(?<![\\w$.])${escaped}(?![\\w$])(.?)`, 'g'))];
    if (uses.some((use) => use.index !== at + declaration.indexOf(name) && use[1] !== '.'))
      continue;
    const lazy = `${name}$lazy`;
    const getter = `var ${lazy}; function ${name}$() { return ${lazy} === undefined ? (${lazy} = ${expression}) : ${lazy}; }`;
    contents = contents
      .replace(declaration, () => getter)
      .replace(new RegExp(`(?<![\\w$.])${escaped}\\.`, 'g'), () => `(${name}$()).`);
  }
  return contents;
}

const vendorRewrites = {
  name: 'neon-local-vendor-rewrites',
  setup(builder) {
    const rewrite = (path, source) => {
      if (S3RVER_LOGGER_FILE.test(path)) return SILENT_S3RVER_LOGGER;
      let contents = source;
      for (const { file, edits } of PINO_LAZY_REQUIRES) {
        if (!file.test(path)) continue;
        for (const [from, to] of edits) contents = replaceOnce(path, contents, from, to);
      }
      if (S3RVER_HEADER_OVERRIDE_FILE.test(path)) {
        for (const [from, to] of S3RVER_LODASH_CHAIN)
          contents = replaceOnce(path, contents, from, to);
      }
      if (S3RVER_LIB_FILE.test(path)) contents = perFunctionLodash(path, contents);
      if (S3RVER_OBJECT_CONTROLLER_FILE.test(path)) {
        contents = replaceOnce(path, contents, S3RVER_BUSBOY_REQUIRE, LAZY_BUSBOY_REQUIRE);
        contents = replaceOnce(path, contents, 'new Busboy(', 'new (Busboy$())(');
      }
      if (VENDOR_IMPORT_FILES.test(path))
        contents = replaceOnce(path, contents, 'await import(', 'await __vendorImport(');
      if (OCLIF_PLUGIN_FILE.test(path))
        contents = replaceOnce(path, contents, OCLIF_COMMAND_SORT, CODE_POINT_COMMAND_SORT);
      if (OCLIF_INDEX_FILE.test(path))
        contents = replaceOnce(path, contents, OCLIF_ENGINE_CHECK_CALL, NO_ENGINE_CHECK_CALL);
      if (DEFERRED_REQUIRE_FILES.test(path)) contents = deferRequires(contents);
      if (PROM_CLIENT_INDEX_FILE.test(path)) {
        for (const [name, module] of PROM_CLIENT_LAZY_EXPORTS) {
          contents = replaceOnce(
            path,
            contents,
            `exports.${name} = require('${module}');`,
            `Object.defineProperty(exports, '${name}', { configurable: true, enumerable: true, get: () => require('${module}') });`,
          );
        }
      }
      return contents;
    };
    const filter = new RegExp(
      [
        VENDOR_IMPORT_FILES,
        OCLIF_PLUGIN_FILE,
        DEFERRED_REQUIRE_FILES,
        PROM_CLIENT_INDEX_FILE,
        S3RVER_LOGGER_FILE,
        S3RVER_LIB_FILE,
        ...PINO_LAZY_REQUIRES.map(({ file }) => file),
      ]
        .map((r) => r.source)
        .join('|'),
    );
    builder.onLoad({ filter }, (args) => ({
      contents: rewrite(args.path, readFileSync(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

/** Fails the build unless code-point order of the command ids is their localeCompare order. */
function checkCommandOrder(ids) {
  const byLocale = [...ids].sort((a, b) => a.localeCompare(b));
  const byCodePoint = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (byLocale.join() !== byCodePoint.join())
    throw new Error(`command ids sort differently by code point: ${byCodePoint.join(', ')}`);
}

/** Fails the build if a bundle still calls import() (other than the banner's). */
function checkNoImportCalls(path) {
  const calls = readFileSync(path, 'utf8').match(/(?<![\w$.])import\((?!\))/g) ?? [];
  if (calls.length !== 1)
    throw new Error(`${path} calls import() ${calls.length - 1} times: see VENDOR_IMPORT_BANNER`);
}

async function buildVendors() {
  const result = await build({
    ...common,
    entryPoints: VENDORS.map(({ specifier, file }) => ({ in: specifier, out: file })),
    outdir: join(outdir, 'vendor'),
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    external: [...EXTERNAL, ...VENDOR_EXTERNAL],
    banner: { js: VENDOR_IMPORT_BANNER },
    plugins: [vendorRewrites],
  });
  for (const { file } of VENDORS) checkNoImportCalls(join(outdir, 'vendor', `${file}.cjs`));
  const require = createRequire(import.meta.url);
  return {
    result,
    exportNames: new Map(
      VENDORS.map(({ specifier, file }) => [
        specifier,
        Object.keys(require(join(outdir, 'vendor', `${file}.cjs`))).filter((name) =>
          /^[A-Za-z_$][\w$]*$/.test(name),
        ),
      ]),
    ),
  };
}

/** etcd3's .proto files beside the vendor dir, where its bundle looks for them. */
function copyEtcd3Protos() {
  const source = join(createRequire(import.meta.url).resolve('etcd3'), '..', '..', 'proto');
  mkdirSync(ETCD3_PROTO_DIR, { recursive: true });
  for (const name of readdirSync(source).filter((file) => file.endsWith('.proto')))
    copyFileSync(join(source, name), join(ETCD3_PROTO_DIR, name));
}

/** Puts a module that loads the vendor bundle in place of each vendored package. */
function vendorShims(exportNames) {
  return {
    name: 'neon-local-vendor-shims',
    setup(builder) {
      const filter = new RegExp(
        `^(${VENDORS.map(({ specifier }) => specifier.replace(/[/.]/g, '\\$&')).join('|')})$`,
      );
      builder.onResolve({ filter }, (args) => ({
        path: args.path,
        namespace: 'neon-local-vendor',
      }));
      builder.onResolve(
        { filter: new RegExp(`^\\./${LOADER_FILE.replace('.', '\\.')}$`) },
        (args) => ({
          path: args.path,
          external: true,
        }),
      );
      builder.onLoad({ filter: /.*/, namespace: 'neon-local-vendor' }, (args) => {
        const { file } = VENDORS.find(({ specifier }) => specifier === args.path);
        const names = exportNames.get(args.path).filter((name) => name !== 'default');
        return {
          contents: [
            `import { loadBundle } from ${JSON.stringify(`./${LOADER_FILE}`)};`,
            "import { join } from 'node:path';",
            `const vendored = loadBundle(join(__dirname, 'vendor', ${JSON.stringify(`${file}.cjs`)}));`,
            'export default vendored;',
            // One pure read per name, so that esbuild drops the exports nobody imports: reading
            // an export may initialise a module of the vendor bundle (see deferRequires).
            'const pick = (name) => vendored[name];',
            ...names.map(
              (name) => `export const ${name} = /* @__PURE__ */ pick(${JSON.stringify(name)});`,
            ),
          ].join('\n'),
          resolveDir: root,
          loader: 'js',
        };
      });
    },
  };
}

/**
 * Our own dynamic imports of the EXTERNAL packages (the AWS SDK, pino-pretty) call __vendorImport
 * (see VENDOR_IMPORT_BANNER); import() of our own modules stays, for esbuild to bundle.
 */
const EXTERNAL_IMPORT = new RegExp(
  `(?<![\\w$.])import\\((?=(['"])(${EXTERNAL.map((name) => name.replace(/[/.]/g, '\\$&').replace('*', '')).join('|')}))`,
  'g',
);
const externalImports = {
  name: 'neon-local-external-imports',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(EXTERNAL_IMPORT, '__vendorImport('),
      loader: 'js',
    }));
  },
};

/** Writes each bundle's code cache now, with this Node, so that the first real start has it. */
function warmCodeCaches(paths) {
  const loader = join(outdir, LOADER_FILE);
  for (const path of paths) {
    const script = `require(${JSON.stringify(loader)}).loadBundle(${JSON.stringify(path)});`;
    // A cold cache: the warm writes are left to the first real runs (see vendor-loader.cjs).
    const run = spawnSync(process.execPath, ['-e', script], {
      stdio: 'inherit',
      env: { ...process.env, NEON_LOCAL_COLD_CODE_CACHE: '1' },
    });
    if (run.status !== 0) throw new Error(`loading bundle ${path} failed`);
  }
}

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
copyFileSync(LOADER_SOURCE, join(outdir, LOADER_FILE));
checkOclifEngines();
copyEtcd3Protos();
const vendors = await buildVendors();
// One build per entry: code shared by the CLI and a daemon is in each entry file itself. bin/<name>.js
// loads dist/bundle/<out>.cjs through loader.cjs; a new daemon is one more entry here and a
// CommonJS bin/<name>.js like bin/safekeeper.js (bin/package.json makes bin/ CommonJS). No
// top-level await in an entry's code: a CommonJS bundle cannot have it (the build fails).
const ENTRIES = [
  { in: 'neon-local:cli', out: 'cli' },
  { in: join(compiled, 'safekeeper', 'main.js'), out: 'safekeeper' },
  { in: join(compiled, 'pageserver', 'main.js'), out: 'pageserver' },
  { in: join(compiled, 's3-server', 'main.js'), out: 's3-server' },
];
const results = [];
for (const entry of ENTRIES) {
  results.push(
    await build({
      ...common,
      entryPoints: [entry],
      outdir,
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      // Strict first: our code is ESM (always strict), and a directive after the banner's
      // statements would be no directive at all.
      banner: { js: `'use strict';\n${VENDOR_IMPORT_BANNER}\n${IMPORT_META_URL_BANNER}` },
      define: { 'import.meta.url': IMPORT_META_URL },
      plugins: [
        virtualCliEntry,
        packageRootInBundle,
        vendorShims(vendors.exportNames),
        externalImports,
      ],
    }),
  );
  checkNoImportCalls(join(outdir, `${entry.out}.cjs`));
}
warmCodeCaches([
  ...VENDORS.map(({ file }) => join(outdir, 'vendor', `${file}.cjs`)),
  ...ENTRIES.map(({ out }) => join(outdir, `${out}.cjs`)),
]);
const outputs = [
  ...Object.entries(vendors.result.metafile.outputs),
  ...results.flatMap((result) => Object.entries(result.metafile.outputs)),
].filter(([path]) => /\.c?js$/.test(path));
const totalBytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(
  `dist/bundle: ${outputs.length} files, ${(totalBytes / 1024 / 1024).toFixed(1)} MiB of JavaScript`,
);
