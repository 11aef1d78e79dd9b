// Type-aware lint: floating promises are errors, type-only imports stay type-only,
// no import cycles, and mapping/ stays pure (no I/O modules).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.stack/', 'coverage/', 'bin/', 'eslint.config.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['src/mapping/**/*.ts'],
    ignores: ['src/mapping/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:fs',
                'node:fs/*',
                'fs',
                'node:net',
                'node:http',
                'node:child_process',
                'kafkajs',
                'pg',
                'mysql2',
                'mysql2/*',
                'ioredis',
              ],
              message: 'mapping/ is pure: read files and talk to systems in the caller, pass data in.',
            },
          ],
        },
      ],
    },
  },
  {
    // The product never reads the local stack's files (its generated secrets above all): the
    // development commands hand it what it needs through its configuration.
    files: [
      'src/config/**/*.ts',
      'src/stock/**/*.ts',
      'src/api/**/*.ts',
      'src/materializer/**/*.ts',
      'src/mapper/**/*.ts',
      'src/kafka/**/*.ts',
      'src/observability/**/*.ts',
      'src/service/**/*.ts',
      'src/cli/commands/run.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/stack/*'],
              message:
                "the product never reads the local stack's files; dev commands pass secrets in through the config (src/dev/stack/dev-secrets.ts)",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      // chai's expect(...).to.be.true style reads as an unused expression
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
