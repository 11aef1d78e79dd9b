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

/** The SAP capture's password, when it reads the stand-in in the stack's PostgreSQL. */
export const SAP_PASSWORD_ENV = 'STOCKLINE__SAP__PASSWORD';

/** Whether the sap section points at the stack's stand-in (driver postgres on the stack's port). */
const readsStandin = (config: Readonly<StocklineConfig>): boolean =>
  config.sap.driver === 'postgres' &&
  config.sap.host !== '' &&
  config.sap.port === config.stack.postgres.port;

/**
 * The environment that gives a child process the stack's passwords the config does not set: the
 * stock database's, and the SAP capture's when it reads the stand-in (as the application user).
 */
export function stackSecretEnv(config: Readonly<StocklineConfig>): Record<string, string> {
  const password = readSecrets(stackLayout(config).secretsFile).STORE_PG_APP_PASSWORD;
  if (!password) return {};
  return {
    ...(config.stockDb.password ? {} : { [STOCK_DB_PASSWORD_ENV]: password }),
    ...(config.sap.password || !readsStandin(config) ? {} : { [SAP_PASSWORD_ENV]: password }),
  };
}

/** The config with the stack's passwords where it sets none (call after `stack up`). */
export function withStackSecrets(config: Readonly<StocklineConfig>): Readonly<StocklineConfig> {
  const env = stackSecretEnv(config);
  if (Object.keys(env).length === 0) return config;
  const copy = structuredClone(config) as StocklineConfig;
  if (env[STOCK_DB_PASSWORD_ENV] !== undefined) copy.stockDb.password = env[STOCK_DB_PASSWORD_ENV];
  if (env[SAP_PASSWORD_ENV] !== undefined) copy.sap.password = env[SAP_PASSWORD_ENV];
  return copy;
}
