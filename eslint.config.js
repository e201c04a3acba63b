// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const impureGlobals = [
  { name: 'Date', message: 'The core never reads a clock: time arrives inside events.' },
  { name: 'crypto', message: 'The core draws no randomness: fresh tokens arrive inside events.' },
  { name: 'setTimeout', message: 'The core has no timers.' },
  { name: 'setInterval', message: 'The core has no timers.' },
  { name: 'setImmediate', message: 'The core has no timers.' },
  { name: 'performance', message: 'The core never reads a clock.' },
  { name: 'process', message: 'The core does no I/O.' },
  { name: 'fetch', message: 'The core does no I/O.' },
]

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/**', '**/.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The packages' command launchers: plain Node.js ES modules outside the TypeScript projects.
    files: ['packages/*/bin/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly' } },
  },
  {
    // Tool configuration files must default-export.
    files: ['eslint.config.js', '**/vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The core is pure: no I/O modules, no clock, no randomness, no timers.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The core does no I/O.' },
            { group: ['fs', 'fs/*', 'http', 'https', 'net', 'crypto', 'os', 'child_process', 'worker_threads'], message: 'The core does no I/O.' },
            { group: ['pg', 'pg-*', '@electric-sql/*', '@node-rs/*'], message: 'The core does no I/O.' },
            { group: ['fp-ts/*TaskEither*', 'fp-ts/*Task'], importNamePattern: '^(?!TaskEither$)', message: 'Only TaskEither types, in ports.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...impureGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'The core draws no randomness.' },
        { object: 'Date', property: 'now', message: 'The core never reads a clock.' },
      ],
    },
  },
  {
    // Inside the machines not even the TaskEither types: plain xstate.
    files: ['packages/core/src/machines/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['fp-ts', 'fp-ts/*', 'node:*', 'pg', '@node-rs/*'], message: 'Machines are plain xstate.' }] },
      ],
    },
  },
)
