import type { StocklineConfig } from '../../config/schema.js';
import { stackLayout } from './layout.js';
import { readSecrets } from './secrets.js';

/**
 * The dev path by which the local stack's generated secrets reach the product. The product
 * (`stockline run`, the API, the materializer) only reads its configuration (environment,
 * secret files); the development commands (stack, demo, simulate, verify, the tests, the
 * benchmark) hand it the stack's stock database password through that same configuration.
 */
export const STOCK_DB_PASSWORD_ENV = 'STOCKLINE__STOCKDB__PASSWORD';

/** The environment that gives a child process the stack's stock database password, unless the config sets one. */
export function stackSecretEnv(config: Readonly<StocklineConfig>): Record<string, string> {
  if (config.stockDb.password) return {};
  const password = readSecrets(stackLayout(config).secretsFile).STORE_PG_APP_PASSWORD;
  return password ? { [STOCK_DB_PASSWORD_ENV]: password } : {};
}

/** The config with the stack's stock database password when it sets none (call after `stack up`). */
export function withStackSecrets(config: Readonly<StocklineConfig>): Readonly<StocklineConfig> {
  const password = stackSecretEnv(config)[STOCK_DB_PASSWORD_ENV];
  if (password === undefined) return config;
  const copy = structuredClone(config) as StocklineConfig;
  copy.stockDb.password = password;
  return copy;
}
