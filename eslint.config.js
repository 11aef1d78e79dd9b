// Type-aware lint: floating promises are errors, type-only imports stay type-only,
// no import cycles, and mapping/ stays pure (no I/O modules).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/**
 * The Kafka port (src/kafka/port.ts): outside src/kafka/, Kafka is reached through port.ts,
 * batch-consumer.ts, clients.ts (which picks the adapter) and topic-settings.ts only; never
 * through a client library or an adapter module.
 */
const kafkaPortModules = {
  group: [
    '**/kafka/*',
    '!**/kafka/port.js',
    '!**/kafka/batch-consumer.js',
    '!**/kafka/clients.js',
    '!**/kafka/topic-settings.js',
  ],
  message:
    'go through the Kafka port: src/kafka/clients.ts (factories), port.ts and batch-consumer.ts (types); an adapter module is for src/kafka/ and its conformance tests',
};
/** The product never reads the local stack's files. */
const noStackFiles = {
  group: ['**/stack/*'],
  message:
    "the product never reads the local stack's files; dev commands pass secrets in through the config (src/dev/stack/dev-secrets.ts)",
};
const kafkaLibraries = {
  group: ['kafkajs', 'kafkajs/*', 'node-rdkafka', 'node-rdkafka/*'],
  message: 'only the adapters in src/kafka/ use a Kafka client library; go through src/kafka/clients.ts',
};

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
  // Placed before the blocks below: a later block's no-restricted-imports replaces this one for
  // its files, so those repeat the Kafka patterns.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/kafka/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [kafkaPortModules, kafkaLibraries] }] },
  },
  {
    // Tests may use kafkajs itself to look at Kafka (a witness apart from the port), but an
    // adapter module only where they test it: the Kafka port's conformance suites.
    files: ['test/**/*.ts'],
    ignores: ['test/integration/kafka-port/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [kafkaPortModules] }] },
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
            kafkaPortModules,
            kafkaLibraries,
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
      'src/observability/**/*.ts',
      'src/service/**/*.ts',
      'src/cli/commands/run.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noStackFiles, kafkaPortModules, kafkaLibraries] }],
    },
  },
  {
    // The same for src/kafka/, where the adapters live (no Kafka patterns there).
    files: ['src/kafka/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noStackFiles] }] },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      // chai's expect(...).to.be.true style reads as an unused expression
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
