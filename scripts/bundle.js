// Bundles what bin/run.js, bin/safekeeper.js and bin/s3-server.js load (run by `npm run build`,
// after tsc, from tsc's output in dist/src) into dist/bundle: ESM, one file per entry plus shared
// and lazily imported chunks. Loading one file instead of hundreds of modules is most of a Node
// start here. Must not change behaviour: every import() stays a separate chunk loaded on use,
// and the heavy, rarely needed packages stay in node_modules (see EXTERNAL).
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist', 'src');
const outdir = join(root, 'dist', 'bundle');

/**
 * Imported lazily and only by a few commands or tasks (bundling them would only make the build and
 * the bundle bigger), or only in development (oclif requires typescript to read a tsconfig when
 * NODE_ENV is development or test). They load from node_modules exactly as without a bundle.
 */
const EXTERNAL = ['@aws-sdk/*', 'etcd3', 'typescript'];

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
  const imports = files.map(
    (file, index) => `import C${index} from ${JSON.stringify(`./${relative(root, file)}`)};`,
  );
  const entries = files.map((file, index) => {
    const id = relative(commandsDir, file).replace(/\.js$/, '').split(sep).join(':');
    return `  ${JSON.stringify(id)}: C${index},`;
  });
  return [
    "export { execute } from '@oclif/core';",
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
 * dist/src/cluster/package-root.js finds the package root three levels above itself; every file of
 * the bundle sits directly in dist/bundle, two levels below the root.
 */
const packageRootInBundle = {
  name: 'neon-local-package-root',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/]src[\\/]cluster[\\/]package-root\.js$/ }, () => ({
      contents:
        "import { fileURLToPath } from 'node:url';\nexport const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));",
      loader: 'js',
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
export const result = await build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'neon-local:cli', out: 'cli' },
    { in: join(compiled, 'safekeeper', 'main.js'), out: 'safekeeper' },
    { in: join(compiled, 's3-server', 'main.js'), out: 's3-server' },
  ],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  plugins: [virtualCliEntry, packageRootInBundle],
  // Bundled CommonJS packages (oclif, s3rver, prom-client) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);",
  },
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  metafile: true,
});
const outputs = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.js'));
const totalBytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(
  `dist/bundle: ${outputs.length} files, ${(totalBytes / 1024 / 1024).toFixed(1)} MiB of JavaScript`,
);
