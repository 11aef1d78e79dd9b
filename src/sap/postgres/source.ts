// The SAP stand-in's adapter (PostgreSQL through node-postgres): a dialect and a connection pool.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { SapSourceError } from '../errors.js';
import type { OpenSqlAdapter, SqlConnection, SqlDialect, SqlQuery } from '../port.js';

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  quote: (identifier) => `"${identifier.replace(/"/g, '""')}"`,
  param: (n) => `$${n}`,
  limit: (n) => `LIMIT ${Math.trunc(n)}`,
  prefix: (expression, length) => `substr(${expression}, 1, ${Math.trunc(length)})`,
  clockStatement: `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "CLOCK"`,
  columnsStatement:
    'SELECT column_name AS "COLUMN_NAME" FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
};

/** Every value as the text PostgreSQL sends: numerics keep their digits, counts need no bigint. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

/** SQLSTATE classes and codes after which a retry can help (connection, resources, conflicts). */
const RETRIABLE_STATES = /^(08|53|57P0|40001|40P01|55P03|57014)/;
const RETRIABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

function sourceError(call: string, database: string, e: unknown): SapSourceError {
  const code = (e as { code?: unknown }).code;
  const reason = typeof code === 'string' ? code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  const retriable =
    reason === undefined
      ? /Connection terminated|timeout/i.test(message)
      : RETRIABLE_STATES.test(reason) || RETRIABLE_ERRNOS.has(reason);
  return new SapSourceError(
    `the SAP stand-in (PostgreSQL ${database}) failed in ${call}: ${message}`,
    { driver: 'postgres', database, call, ...(reason === undefined ? {} : { reasonCode: reason }) },
    { retriable, cause: e },
  );
}

type Row = Record<string, string | null>;

const runner = (client: pg.Pool | pg.PoolClient, database: string): SqlQuery => ({
  async query(sql, params) {
    try {
      const result = await client.query<Row>({ text: sql, values: [...params], types: TEXT_TYPES });
      return result.rows;
    } catch (e) {
      throw sourceError(sql.slice(0, 60), database, e);
    }
  },
});

export const openConnection: OpenSqlAdapter = async (options) => {
  const database = `${options.host}:${options.port}/${options.database}`;
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    max: options.poolMax,
    application_name: 'stockline-sap-capture',
    ...(options.tls.enabled
      ? {
          ssl: {
            rejectUnauthorized: true,
            ...(options.tls.caFile === '' ? {} : { ca: await readFile(options.tls.caFile, 'utf8') }),
          },
        }
      : {}),
  });
  // An idle client that loses its connection must not crash the process: the next query fails instead.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw sourceError('connect', database, e);
  }
  const connection: SqlConnection = {
    ...runner(pool, database),
    async snapshot(work) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw sourceError('connect', database, e);
      }
      let broken = false;
      try {
        const q = runner(client, database);
        await q.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', []);
        return await work(q);
      } catch (e) {
        broken = true;
        throw e;
      } finally {
        await client.query('ROLLBACK').catch(() => (broken = true));
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
  return { dialect: postgresDialect, connection };
};
