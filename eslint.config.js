// Type-aware lint: floating promises are errors, type-only imports stay type-only,
// no import cycles, and mapping/ stays pure (no I/O modules).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The Kafka port (src/kafka/port.ts): outside src/kafka/, Kafka is reached through port.ts,
 * batch-consumer.ts, clients.ts (which picks the adapter), topic-settings.ts and the consumer lag
 * (consumer-lag.ts, lag-metrics.ts, written on the port) only; never
 * through a client library or an adapter module.
 */
const kafkaPortModules = {
  group: [
    '**/kafka/*',
    '!**/kafka/port.js',
    '!**/kafka/batch-consumer.js',
    '!**/kafka/clients.js',
    '!**/kafka/topic-settings.js',
    '!**/kafka/consumer-lag.js',
    '!**/kafka/lag-metrics.js',
  ],
  message:
    'go through the Kafka port: src/kafka/clients.ts (factories), port.ts and batch-consumer.ts (types); an adapter module is for src/kafka/ and its conformance tests',
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
    // Resolves `./x.js` to `./x.ts` as TypeScript does: without it the import-x rules (no-cycle,
    // no-restricted-paths) see no target and check nothing.
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  // Placed before the blocks below: a later block's no-restricted-imports replaces this one for
  // its files, so those repeat the Kafka patterns. bench/ and scripts/ are left out on purpose:
  // they measure the client libraries themselves (each library's bare consume ceiling, a preload
  // at full speed), as the tests use kafkajs as a witness apart from the port.
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
    // The product never imports the development tools (src/dev/: the local stack and its
    // secrets, the simulator, the demo): they hand it what it needs through its configuration.
    // src/main.ts, the command line's entry point, is the one module that adds them.
    // scripts/structure.ts (run by `npm run lint`) also refuses upward imports and folder cycles.
    files: ['src/**/*.ts'],
    ignores: ['src/dev/**', 'src/main.ts', '**/*.test.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src',
              from: './src/dev',
              message:
                'the product never imports src/dev/ (local stack, simulator, demo); take what it needs as configuration or a parameter',
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
