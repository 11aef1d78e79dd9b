import knex, { type Knex } from 'knex';
import type { StocklineConfig } from '../config/schema.js';
import { stockDbPassword } from '../config/secrets.js';

/**
 * The stock database as a knex instance (PostgreSQL through node-postgres). Sessions run in UTC
 * so that times read back as text are unambiguous.
 */
export function createStockDb(
  config: Readonly<StocklineConfig>,
  options: { applicationName?: string } = {},
): Knex {
  const { host, port, database, user, poolMax } = config.stockDb;
  return knex({
    client: 'pg',
    connection: {
      host,
      port,
      database,
      user,
      password: stockDbPassword(config),
      application_name: options.applicationName ?? 'stockline',
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
