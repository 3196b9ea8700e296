// Lint configuration: typescript-eslint strict type-checked rules, plus the import layering of
// STYLE.md, enforced by one local rule that resolves every relative import to the top-level
// folder of src/ it lands in and checks it against LAYERS (so the rules add up; a folder's allowed
// imports are listed once). Packages made for the CLI are allowed only in cli/ and commands/.
import { dirname, relative, resolve, sep } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each top-level folder of src/ may import besides itself. Imports flow one way:
 * commands -> cli -> cluster/client -> (walproposer) -> shared formats -> common, and every
 * daemon (safekeeper, pageserver, s3-server) -> the daemon shell and the shared formats only,
 * never another daemon, the control plane or the CLI. `index` is src/index.ts (the API).
 */
const SHARED = ['protocol', 'postgres', 'common'];
const DAEMON = ['daemon-shell', 'remote-storage', ...SHARED];
export const LAYERS = {
  common: [],
  postgres: ['common'],
  protocol: ['postgres', 'common'],
  'remote-storage': ['common'],
  'daemon-shell': SHARED,
  safekeeper: DAEMON,
  pageserver: DAEMON,
  's3-server': DAEMON,
  walproposer: SHARED,
  client: ['remote-storage', ...SHARED],
  cluster: ['client', 'walproposer', 'remote-storage', ...SHARED],
  cli: ['cluster', 'client', ...SHARED],
  commands: ['cli', 'cluster', 'client', ...SHARED],
  index: ['cluster', 'client', 'walproposer', ...SHARED],
  types: [],
};
const CLI_PACKAGES = [/^@oclif\//, /^listr2$/, /^chalk$/];
const CLI_LAYERS = new Set(['cli', 'commands']);
const SRC = resolve(import.meta.dirname, 'src');

/** The layer a path under src/ belongs to, or undefined outside src/. */
function layerOf(path) {
  const inside = relative(SRC, path);
  if (inside.startsWith('..') || inside === '') return undefined;
  const top = inside.split(sep)[0];
  return top === 'index.ts' || top === 'index.js' ? 'index' : top;
}

const layeringRule = {
  meta: { type: 'problem', schema: [], messages: { forbidden: '{{message}}' } },
  create(context) {
    const from = layerOf(context.filename);
    if (from === undefined) return {};
    const allowed = LAYERS[from];
    const check = (node) => {
      const spec = node?.type === 'Literal' ? node.value : undefined;
      if (typeof spec !== 'string') return;
      let message;
      if (spec.startsWith('.')) {
        const to = layerOf(resolve(dirname(context.filename), spec));
        if (to === from) return;
        if (allowed === undefined) message = `src/${from} is not a known layer: add it to LAYERS`;
        else if (to === undefined)
          message = `src/${from} may not import from outside src/ (${spec})`;
        else if (!allowed.includes(to)) {
          const may = allowed.length === 0 ? 'nothing' : allowed.join(', ');
          message = `src/${from} may not import src/${to} (${spec}); it may import: ${may}`;
        }
      } else if (!CLI_LAYERS.has(from) && CLI_PACKAGES.some((pattern) => pattern.test(spec))) {
        message = `${spec} is for the CLI only (src/cli, src/commands), not src/${from}`;
      }
      if (message !== undefined)
        context.report({ node, messageId: 'forbidden', data: { message } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'oclif.manifest.json', '.neon/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
  },
  {
    // CommonJS: bin/ (bin/package.json) and the bundle loader, so that a start skips the ESM loader.
    files: ['bin/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: {
        process: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests probe untrusted output (JSON from child processes) defensively.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { local: { rules: { layering: layeringRule } } },
    rules: { 'local/layering': 'error' },
  },
);
