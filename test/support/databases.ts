import mysql from 'mysql2/promise';
import pg from 'pg';
import type { TestStack } from './stack.js';

/** The application user of the stack's PostgreSQL, in the store or the SAP stand-in database. */
export async function connectStorePostgres(
  env: TestStack,
  database: 'store' | 'sap' = 'store',
): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: env.config.stack.postgres.port,
    user: 'stockline_app',
    password: env.secrets.STORE_PG_APP_PASSWORD,
    database,
  });
  await client.connect();
  return client;
}

export function connectStoreMariadb(env: TestStack): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1',
    port: env.config.stack.mariadb.port,
    user: 'stockline_app',
    password: env.secrets.STORE_MARIADB_APP_PASSWORD,
    database: 'store',
    timezone: 'Z',
  });
}
