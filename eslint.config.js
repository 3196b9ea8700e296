// Lint configuration: typescript-eslint strict type-checked rules, plus the import layering of
// STYLE.md (commands -> cli -> cluster/client -> postgres/common; daemons never import CLI code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const cliOnly = ['@oclif/*', 'listr2', 'chalk'];
const layer = (files, patterns, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
  },
});

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
  layer(
    ['src/cluster/**', 'src/client/**', 'src/common/**', 'src/postgres/**'],
    [...cliOnly, '**/cli/**', '**/commands/**'],
    'the library layers must not depend on the CLI',
  ),
  layer(
    ['src/safekeeper/**'],
    [...cliOnly, '**/cli/**', '**/commands/**', '**/cluster/**'],
    'daemons never import CLI or control-plane code',
  ),
  layer(
    ['src/walproposer/**'],
    [...cliOnly, '**/cli/**', '**/commands/**', '**/cluster/**'],
    'the walproposer is a library under the control plane',
  ),
  layer(
    ['src/common/**', 'src/postgres/**'],
    ['**/cluster/**', '**/client/**', '**/safekeeper/**'],
    'common and postgres are the bottom layers',
  ),
);
