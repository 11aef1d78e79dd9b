import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from '../../../observability/logger.js';
import type { StackSecrets } from '../secrets.js';
import { multiRowInsert } from '../../samples/insert.js';
import { sapSample, storeSample, type MatdocRow } from '../../samples/sample-data.js';

const SEED_DIR = path.resolve('connectors/seed');

async function withClient<T>(client: pg.Client, work: (c: pg.Client) => Promise<T>): Promise<T> {
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** CREATE ROLE has no IF NOT EXISTS; the password is (re)set from the stack's secrets. */
async function ensureRole(
  client: pg.Client,
  role: string,
  attributes: string,
  password: string,
): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const verb = rowCount ? 'ALTER' : 'CREATE';
  // Identifiers and the password cannot be bound parameters in DDL; both come from our own code
  // and from base64url secrets (no quotes possible).
  await client.query(`${verb} ROLE ${role} WITH LOGIN ${attributes} PASSWORD '${password}'`);
}

async function ensureDatabase(client: pg.Client, name: string, owner?: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await client.query(`CREATE DATABASE ${name}${owner ? ` OWNER ${owner}` : ''}`);
}

async function insertInOneTransaction(c: pg.Client, tables: [string, readonly object[]][]): Promise<void> {
  await c.query('BEGIN');
  for (const [table, rows] of tables) {
    const { sql, values } = multiRowInsert('postgres', table, rows);
    await c.query(sql, values);
  }
  await c.query('COMMIT');
}

async function isEmpty(client: pg.Client, table: string): Promise<boolean> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return rows[0]?.n === '0';
}

/**
 * Roles (the application's and Debezium's), the store and SAP stand-in databases, their
 * schemas and publications, and the sample rows the first time.
 */
export async function seedPostgres(
  connect: (database: string) => pg.Client,
  secrets: StackSecrets,
  log: Logger,
): Promise<void> {
  await withClient(connect('postgres'), async (c) => {
    await ensureRole(c, 'stockline_app', '', secrets.STORE_PG_APP_PASSWORD);
    await ensureRole(c, 'debezium', 'REPLICATION', secrets.STORE_PG_DEBEZIUM_PASSWORD);
    await ensureDatabase(c, 'store');
    await ensureDatabase(c, 'sap');
    // The materialized stock table lives beside them on the local stack (its own database).
    await ensureDatabase(c, 'stockline', 'stockline_app');
  });

  await withClient(connect('store'), async (c) => {
    await c.query(readFileSync(path.join(SEED_DIR, 'store-postgres.sql'), 'utf8'));
    if (await isEmpty(c, 'items')) {
      const sample = storeSample('north', 1);
      await insertInOneTransaction(c, [
        ['locations', sample.locations],
        ['items', sample.items],
        ['stock_on_hand', sample.stock],
        ['sale_lines', sample.sales],
        ['goods_receipts', sample.receipts],
        ['transfers', sample.transfers],
      ]);
      log.info(
        { database: 'store', stock: sample.stock.length, sales: sample.sales.length },
        'store PostgreSQL seeded',
      );
    }
  });

  await withClient(connect('sap'), (c) => seedSapStandin(c, log));
}

/**
 * The SAP stand-in: creates it, or migrates one of an older shape (MARD a table, BUDAT ...),
 * then adds each part of the sample the first time it is missing: a stand-in migrated from the
 * older shape has the movements already and gets the opening balances its MARD table held.
 */
export async function seedSapStandin(c: pg.Client, log: Logger): Promise<void> {
  await c.query(readFileSync(path.join(SEED_DIR, 'sap-standin.sql'), 'utf8'));
  const sample = sapSample(2);
  const parts: [string, MatdocRow[]][] = [
    ['openings', sample.openings],
    ['movements', sample.movements],
  ];
  for (const [part, rows] of parts) {
    const first = rows[0]!;
    const { rowCount } = await c.query(
      'SELECT 1 FROM sapabap1."MATDOC" WHERE "MANDT" = $1 AND "MBLNR" = $2 AND "MJAHR" = $3',
      [first.MANDT, first.MBLNR, first.MJAHR],
    );
    if (rowCount) continue;
    await insertInOneTransaction(c, [['sapabap1."MATDOC"', rows]]);
    log.info({ database: 'sap', part, matdoc: rows.length }, 'SAP stand-in seeded');
  }
}
