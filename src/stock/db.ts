import knex, { type Knex } from 'knex';
import type { StocklineConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';

/**
 * The stock database as a knex instance (PostgreSQL through node-postgres). Sessions run in UTC
 * so that times read back as text are unambiguous.
 */
export function createStockDb(
  config: Readonly<Pick<StocklineConfig, 'stockDb'>>,
  options: { applicationName?: string } = {},
): Knex {
  const { host, port, database, user, password, poolMax } = config.stockDb;
  const { statementTimeoutMs, queryTimeoutMs, keepAlive, keepAliveInitialDelayMs } = config.stockDb;
  // The product takes its secrets from its configuration only; the local stack's generated
  // password reaches it through the development commands (src/dev/stack/dev-secrets.ts).
  if (!password)
    throw new ConfigError(
      'stockDb.password is not set: set STOCKLINE__STOCKDB__PASSWORD or STOCKLINE__STOCKDB__PASSWORD_FILE (against the local stack: `./stockline stack exec -- <command>` sets it, as `npm start` does)',
      { key: 'stockDb.password' },
    );
  return knex({
    client: 'pg',
    connection: {
      host,
      port,
      database,
      user,
      password,
      application_name: options.applicationName ?? 'stockline',
      // node-postgres: 0 (or absent) means no limit for both timeouts.
      ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
      ...(queryTimeoutMs > 0 ? { query_timeout: queryTimeoutMs } : {}),
      keepAlive,
      keepAliveInitialDelayMillis: keepAliveInitialDelayMs,
    },
    pool: {
      min: 0,
      max: poolMax,
      afterCreate: (
        connection: { query: (sql: string, done: (e: Error | null) => void) => void },
        done: (e: Error | null, c: unknown) => void,
      ) => {
        connection.query("SET TIME ZONE 'UTC'", (e) => done(e, connection));
      },
    },
    acquireConnectionTimeout: 30000,
  });
}
