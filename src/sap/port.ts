/**
 * The SAP source port: what the SAP capture (src/capture/) needs of a source of material
 * documents (S/4HANA MATDOC, insert-only) and of its stock view (MARD).
 *
 * Two layers, so that HANA and the PostgreSQL stand-in run the same queries:
 * - `SapSource` is what the capture calls. One implementation, `sql-source.ts`, builds every
 *   statement (explicit column lists, keyset order, bucket counts, the cut) from a `SqlDialect`
 *   and runs it on a `SqlConnection`.
 * - An adapter provides only the `SqlDialect` (quoting, parameters, LIMIT, the clock, the
 *   catalog query) and the `SqlConnection` (a driver: run a statement, run statements in one
 *   repeatable-read snapshot, close). `postgres/` is the stand-in's (pg); `hana/` is
 *   `@sap/hana-client`'s, loaded only when `sap.driver` is `hana` (sources.ts).
 *
 * Conventions every adapter keeps:
 * - Every value of a row is a string or null: decimals exactly as the database prints them
 *   (never a JS number), DATS 'YYYYMMDD' and TIMS 'HHMMSS' as stored, counts as decimal text.
 * - Column names of result rows are the upper-case names the statement selects (the statements
 *   quote every identifier and alias).
 * - Entry time: CPUDT_MKPF || CPUTM_MKPF, 'YYYYMMDDHHMMSS' in the SAP system's time zone
 *   (`sap.timeZone`). Its text order is its time order, so no statement converts it.
 * - Source order: (entry, MANDT, MJAHR, MBLNR, ZEILE), compared as text.
 */

/** MATDOC's business key (the MSEG proxy key): what identifies a movement. */
export interface MatdocKey {
  readonly MANDT: string;
  readonly MJAHR: string;
  readonly MBLNR: string;
  readonly ZEILE: string;
}

/** The key columns in source order (after the entry time). */
export const KEY_COLUMNS = ['MANDT', 'MJAHR', 'MBLNR', 'ZEILE'] as const;

/** The smallest key: a point with it comes before every row of its entry time. */
export const MIN_KEY: MatdocKey = Object.freeze({ MANDT: '', MJAHR: '', MBLNR: '', ZEILE: '' });

/**
 * A point in source order: entry time 'YYYYMMDDHHMMSS' and key. A row is "after" a point when
 * (entry, MANDT, MJAHR, MBLNR, ZEILE) compares greater, as text.
 */
export interface EntryPoint {
  readonly entry: string;
  readonly key: MatdocKey;
}

/** One row as read: every selected column as text (or null). */
export type SourceValues = Readonly<Record<string, string | null>>;

/** A MATDOC row with its place in source order. */
export interface MatdocRow {
  /** CPUDT_MKPF || CPUTM_MKPF. */
  readonly entry: string;
  readonly key: MatdocKey;
  /** The selected columns (always including the key and entry columns). */
  readonly values: SourceValues;
}

/**
 * An entry bucket: the first `length` characters of the entry time (8: a day 'YYYYMMDD',
 * 10: an hour 'YYYYMMDDHH', 12: a minute 'YYYYMMDDHHMM').
 */
export type BucketLength = 8 | 10 | 12;

/** The initial load's cut: read in ONE repeatable-read snapshot of the source. */
export interface SourceCut {
  /** The database's clock (ms since the epoch, UTC) read first in the snapshot. */
  readonly clockMs: number;
  /** Every MARD row of the snapshot, its selected columns as text. */
  readonly mard: readonly SourceValues[];
  /**
   * The MATDOC rows the snapshot holds with entry >= `from`, their selected columns: the
   * movements MARD already counts.
   */
  readonly included: readonly MatdocRow[];
}

export interface SapSource {
  /** 'hana' or 'postgres': for logs and metrics. */
  readonly driver: string;
  /** The database's current time, ms since the epoch (PG clock_timestamp(), HANA CURRENT_UTCTIMESTAMP). */
  clock(): Promise<number>;
  /**
   * The columns a table (or view) has, upper case, in the capture's schema; empty when it does
   * not exist. The capture refuses to start when a column it needs is missing.
   */
  columns(table: string): Promise<string[]>;
  /**
   * The rows strictly after `after` and with entry <= `upTo`, in source order, at most `limit`.
   * Selects `columns` (which must include the key and entry columns).
   */
  readAfter(after: EntryPoint, upTo: string, limit: number): Promise<MatdocRow[]>;
  /**
   * Rows per bucket (first `length` characters of the entry) for entry >= `from` and
   * (entry, key) <= `through`: one GROUP BY over the range. Buckets without rows are absent.
   */
  bucketCounts(from: string, through: EntryPoint, length: BucketLength): Promise<Map<string, number>>;
  /** The rows of one bucket with (entry, key) <= `through`, in source order, selecting `columns`. */
  readBucket(bucket: string, through: EntryPoint): Promise<MatdocRow[]>;
  /**
   * In one repeatable-read snapshot: the clock, MARD (its selected columns), and the MATDOC rows
   * with entry >= `from` (their selected columns), in source order.
   */
  readCut(from: string): Promise<SourceCut>;
  close(): Promise<void>;
}

/** What the capture tells a source when it creates it (after checking the catalog). */
export interface SapSourceTables {
  /** Schema of the tables as the database names it (HANA 'SAPABAP1', the stand-in 'sapabap1'). */
  readonly schema: string;
  /** The movements table (MATDOC) and the columns selected from it. */
  readonly matdoc: { readonly table: string; readonly columns: readonly string[] };
  /** The stock table or view (MARD) and the columns selected from it. */
  readonly mard: { readonly table: string; readonly columns: readonly string[] };
}

/** A statement parameter: text or an integer. */
export type SqlParam = string | number;

/**
 * What differs between HANA's SQL and PostgreSQL's, and nothing else. Every statement quotes its
 * identifiers with `quote` and names parameters with `param`.
 */
export interface SqlDialect {
  readonly name: 'hana' | 'postgres';
  /** A quoted identifier: "MATDOC". */
  quote(identifier: string): string;
  /** The n-th parameter (1-based): HANA '?', PostgreSQL '$n'. */
  param(n: number): string;
  /** The clause that ends a SELECT to keep at most n rows ('LIMIT n' in both). */
  limit(n: number): string;
  /** The first `length` characters of a text expression: SUBSTRING(x, 1, n) / substr(x, 1, n). */
  prefix(expression: string, length: number): string;
  /**
   * One statement returning one row with the column CLOCK: the database's current UTC time as
   * ISO-8601 text ending in Z ('2026-11-27T19:51:37.123Z'). HANA: FROM DUMMY.
   */
  readonly clockStatement: string;
  /**
   * One statement with parameters (schema, table) returning the table's or view's columns as
   * rows with the column COLUMN_NAME (HANA SYS.TABLE_COLUMNS and SYS.VIEW_COLUMNS, PostgreSQL
   * information_schema.columns).
   */
  readonly columnsStatement: string;
}

/** Runs statements; every value of a result row is text (or null), names as selected. */
export interface SqlQuery {
  query(sql: string, params: readonly SqlParam[]): Promise<Record<string, string | null>[]>;
}

/** A driver's connection (or pool) to the source database, read only. */
export interface SqlConnection extends SqlQuery {
  /**
   * Runs `work` in one read-only transaction with repeatable-read (snapshot) isolation: every
   * statement it runs sees the same committed state. Ends the transaction (rollback) after.
   */
  snapshot<T>(work: (q: SqlQuery) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** How to reach the source database (from the `sap` config section; secrets already resolved). */
export interface SapConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The database name: PostgreSQL's (the stand-in: 'sap'); HANA: the tenant database, '' for the default. */
  readonly database: string;
  readonly tls: { readonly enabled: boolean; readonly caFile: string };
  /** Most connections open at once (the capture runs one statement at a time: 2 is plenty). */
  readonly poolMax: number;
}

/** A driver's dialect and open connection. */
export interface SqlAdapter {
  readonly dialect: SqlDialect;
  readonly connection: SqlConnection;
}

/**
 * What an adapter module exports as `openConnection`: `./postgres/source.ts` (pg) and
 * `./hana/source.ts` (@sap/hana-client, imported by sources.ts only when `sap.driver` is hana).
 * Rejects with a typed error (SapSourceError, or ConfigError for options it cannot use) when it
 * cannot connect.
 */
export type OpenSqlAdapter = (options: SapConnectionOptions) => Promise<SqlAdapter>;
