/**
 * The SAP source port's production adapter: SAP HANA through `@sap/hana-client` (port.ts says
 * what an adapter provides: a `SqlDialect` and a `SqlConnection`; sql-source.ts builds every
 * statement, the same for HANA and the PostgreSQL stand-in).
 *
 * The package is an optional dependency, loaded only here, when `openConnection` runs (that is,
 * when `sap.driver` is hana); loading this module loads nothing of it. A missing package is an
 * error that says how to install it.
 *
 * Connections: the capture runs one statement at a time, so queries share one connection,
 * opened at start and opened anew after a failure that broke it (the next call, retried by the
 * capture, reconnects). The cut (`snapshot`) runs on a connection of its own, closed after it,
 * so that its isolation level and its long read never touch the polling connection; with
 * `poolMax` 1 the polling connection is closed first, so that at most `poolMax` are open.
 * HANA's own pooling (createPool) is not used: it would add nothing to two connections.
 */
import type { OpenSqlAdapter, SqlAdapter, SqlConnection, SqlDialect, SqlParam, SqlQuery } from '../port.js';
import { DEFAULT_HANA_TIMEOUTS, HanaSession, hanaConnectOptions, type HanaTimeouts } from './connection.js';
import {
  HANA_INSTALL_HINT,
  loadHanaClient,
  type HanaClientLoader,
  type HanaClientModule,
  type HanaConnectOptions,
  type HanaRow,
} from './driver.js';
import { SapSourceError } from '../errors.js';
import { hanaContext } from './errors.js';

/**
 * HANA's SQL where it differs from PostgreSQL's (port.ts). HANA has LIMIT; its positional
 * parameters are '?', so a statement never reuses one (sql-source.ts numbers them as it adds
 * them). The catalog: SYS.TABLE_COLUMNS for tables, SYS.VIEW_COLUMNS for views (MARD's
 * compatibility view), one statement with the two parameters once.
 */
export const hanaDialect: SqlDialect = Object.freeze({
  name: 'hana' as const,
  quote: (identifier: string) => `"${identifier.replace(/"/g, '""')}"`,
  param: () => '?',
  limit: (n: number) => `LIMIT ${Math.trunc(n)}`,
  prefix: (expression: string, length: number) => `SUBSTRING(${expression}, 1, ${Math.trunc(length)})`,
  clockStatement:
    `SELECT REPLACE(TO_VARCHAR(CURRENT_UTCTIMESTAMP, 'YYYY-MM-DD HH24:MI:SS.FF3'), ' ', 'T') || 'Z' AS "CLOCK" ` +
    'FROM DUMMY',
  columnsStatement:
    'SELECT "COLUMN_NAME" FROM (' +
    'SELECT "SCHEMA_NAME", "TABLE_NAME" AS "OBJECT_NAME", "COLUMN_NAME", "POSITION" FROM "SYS"."TABLE_COLUMNS" ' +
    'UNION ALL ' +
    'SELECT "SCHEMA_NAME", "VIEW_NAME" AS "OBJECT_NAME", "COLUMN_NAME", "POSITION" FROM "SYS"."VIEW_COLUMNS"' +
    ') WHERE "SCHEMA_NAME" = ? AND "OBJECT_NAME" = ? ORDER BY "POSITION"',
});

/** What `openHanaConnection` can be given instead of the real package and file system (tests). */
export interface HanaAdapterDependencies {
  load?: HanaClientLoader;
  timeouts?: HanaTimeouts;
  readFile?: (file: string) => string;
}

/** The port's `openConnection` for HANA: sources.ts imports this module only when sap.driver is hana. */
export const openConnection: OpenSqlAdapter = (options) => openHanaConnection(options);

/**
 * Loads `@sap/hana-client`, connects once (so that a wrong host, password or certificate stops
 * the start with its reason), and returns the dialect and the connection.
 */
export async function openHanaConnection(
  options: Parameters<OpenSqlAdapter>[0],
  dependencies: HanaAdapterDependencies = {},
): Promise<SqlAdapter> {
  const connectOptions = hanaConnectOptions(
    options,
    dependencies.timeouts ?? DEFAULT_HANA_TIMEOUTS,
    dependencies.readFile,
  );
  let client: HanaClientModule;
  try {
    client = await (dependencies.load ?? loadHanaClient)();
  } catch (error) {
    throw new SapSourceError(
      `${HANA_INSTALL_HINT} (loading it failed: ${error instanceof Error ? error.message : String(error)})`,
      hanaContext({ database: connectOptions.serverNode, user: connectOptions.uid }, 'load @sap/hana-client'),
      { retriable: false, cause: error },
    );
  }
  const connection = new HanaSqlConnection(client, connectOptions, Math.max(1, options.poolMax));
  await connection.open();
  return { dialect: hanaDialect, connection };
}

/** A row of the driver as the port's row: every value text or null (port.ts conventions). */
export function toTextRow(
  row: HanaRow,
  where: { database: string; user: string; sql: string },
): Record<string, string | null> {
  const result: Record<string, string | null> = {};
  for (const [column, value] of Object.entries(row)) result[column] = toText(value, column, where);
  return result;
}

function toText(
  value: unknown,
  column: string,
  where: { database: string; user: string; sql: string },
): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (Buffer.isBuffer(value)) return value.toString('hex').toUpperCase();
  // The driver gives DECIMAL as text and integers as numbers; a binary floating-point number
  // here would be a REAL/DOUBLE column or a changed driver: refused, never rounded silently.
  const seen = typeof value === 'number' ? `number ${value}` : Object.prototype.toString.call(value);
  throw new SapSourceError(
    `SAP HANA returned column ${column} as ${seen}, not as exact text: select it as DECIMAL or NVARCHAR`,
    hanaContext(where, 'getValues', { sql: where.sql, columnName: column }),
    { retriable: false },
  );
}

class HanaSqlConnection implements SqlConnection {
  private session: HanaSession | undefined;
  /** One statement at a time on the polling connection: calls queue here. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: HanaClientModule,
    private readonly options: HanaConnectOptions,
    private readonly poolMax: number,
  ) {}

  async open(): Promise<void> {
    this.session = await HanaSession.open(this.client, this.options);
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private closedError(call: string): SapSourceError {
    return new SapSourceError(
      `SAP HANA ${call} on ${this.options.serverNode}: the source is closed`,
      hanaContext({ database: this.options.serverNode, user: this.options.uid }, call),
      { retriable: false },
    );
  }

  private async usableSession(): Promise<HanaSession> {
    if (this.closed) throw this.closedError('query');
    if (this.session?.usable !== true) {
      await this.session?.close();
      this.session = undefined;
      this.session = await HanaSession.open(this.client, this.options);
    }
    return this.session;
  }

  query(sql: string, params: readonly SqlParam[]): Promise<Record<string, string | null>[]> {
    return this.serial(async () => {
      const session = await this.usableSession();
      return runQuery(session, this.options, sql, params);
    });
  }

  snapshot<T>(work: (q: SqlQuery) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      if (this.closed) throw this.closedError('snapshot');
      if (this.poolMax < 2 && this.session !== undefined) {
        await this.session.close();
        this.session = undefined;
      }
      const session = await HanaSession.open(this.client, this.options);
      try {
        return await session.snapshot(() =>
          work({ query: (sql, params) => runQuery(session, this.options, sql, params) }),
        );
      } finally {
        await session.close();
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.session?.close();
    this.session = undefined;
  }
}

async function runQuery(
  session: HanaSession,
  options: HanaConnectOptions,
  sql: string,
  params: readonly SqlParam[],
): Promise<Record<string, string | null>[]> {
  const where = { database: options.serverNode, user: options.uid, sql };
  const rows: Record<string, string | null>[] = [];
  for await (const row of session.rows(sql, params, { table: tableOf(sql) }))
    rows.push(toTextRow(row, where));
  return rows;
}

/** The first "SCHEMA"."TABLE" a statement reads, for error messages (a privilege, a missing table). */
export function tableOf(sql: string): string | undefined {
  const match = /\bFROM\s+("(?:[^"]|"")+"\s*\.\s*"(?:[^"]|"")+")/i.exec(sql);
  return match?.[1]?.replace(/\s+/g, '');
}
