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

/** The stack PostgreSQL's superuser, in the maintenance database (to create and drop databases). */
async function connectPostgresAdmin(env: TestStack): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: env.config.stack.postgres.port,
    user: 'postgres',
    password: env.secrets.STORE_PG_ADMIN_PASSWORD,
    database: 'postgres',
  });
  await client.connect();
  return client;
}

/**
 * A stock database of the test's own in the stack's PostgreSQL, owned by the application user:
 * a test that replays source changes on purpose keeps their effects out of the shared stock
 * table (and runs this checkout's migrations whatever another checkout migrated there).
 * Returns the function that drops it.
 */
export async function createScratchDatabase(env: TestStack, name: string): Promise<() => Promise<void>> {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = await connectPostgresAdmin(env);
  try {
    await admin.query(`CREATE DATABASE ${name} OWNER stockline_app`);
  } finally {
    await admin.end();
  }
  return async () => {
    const client = await connectPostgresAdmin(env);
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
}
