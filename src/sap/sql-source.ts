// The one implementation of SapSource: every statement built here from a dialect, so that HANA
// and the PostgreSQL stand-in run the same SQL (port.ts says what differs).
import {
  KEY_COLUMNS,
  type BucketLength,
  type EntryPoint,
  type MatdocKey,
  type MatdocRow,
  type SapSource,
  type SapSourceTables,
  type SourceCut,
  type SqlAdapter,
  type SqlDialect,
  type SqlParam,
  type SqlQuery,
} from './port.js';
import { SapSourceError } from './errors.js';

const ENTRY_DATE = 'CPUDT_MKPF';
const ENTRY_TIME = 'CPUTM_MKPF';
/** Source order: entry date, entry time, then the business key. */
const ORDER = [ENTRY_DATE, ENTRY_TIME, ...KEY_COLUMNS] as const;

/** Parameters of one statement, numbered as they are added (HANA's '?' cannot be reused). */
class Params {
  readonly values: SqlParam[] = [];
  constructor(private readonly dialect: SqlDialect) {}
  add(value: SqlParam): string {
    this.values.push(value);
    return this.dialect.param(this.values.length);
  }
}

type Comparison = '>' | '>=' | '<' | '<=';

/**
 * (c1, c2, ...) <op> (v1, v2, ...) in lexicographic order, spelled out (HANA has no row-value
 * comparison), with a leading condition on the first column alone so that an index on it serves.
 */
export function tupleCondition(
  dialect: SqlDialect,
  params: Params,
  columns: readonly string[],
  values: readonly string[],
  op: Comparison,
): string {
  const strict = op.startsWith('>') ? '>' : '<';
  const inner = (i: number): string => {
    const c = dialect.quote(columns[i]!);
    if (i === columns.length - 1) return `${c} ${op} ${params.add(values[i]!)}`;
    return `(${c} ${strict} ${params.add(values[i]!)} OR (${c} = ${params.add(values[i]!)} AND ${inner(i + 1)}))`;
  };
  const first = dialect.quote(columns[0]!);
  const bound = strict === '>' ? '>=' : '<=';
  return `${first} ${bound} ${params.add(values[0]!)} AND ${inner(0)}`;
}

const entryParts = (entry: string): [string, string] => {
  if (!/^\d{14}$/.test(entry)) throw new Error(`an entry time is YYYYMMDDHHMMSS, not ${entry}`);
  return [entry.slice(0, 8), entry.slice(8)];
};

const pointValues = (p: EntryPoint): string[] => [
  ...entryParts(p.entry),
  p.key.MANDT,
  p.key.MJAHR,
  p.key.MBLNR,
  p.key.ZEILE,
];

/** A result row as a MATDOC row (key and entry columns must be there). */
export function toMatdocRow(values: Record<string, string | null>): MatdocRow {
  const text = (c: string): string => {
    const v = values[c];
    if (v === null || v === undefined) throw new Error(`a MATDOC row without ${c}`);
    return v;
  };
  const key: MatdocKey = {
    MANDT: text('MANDT'),
    MJAHR: text('MJAHR'),
    MBLNR: text('MBLNR'),
    ZEILE: text('ZEILE'),
  };
  return { entry: text(ENTRY_DATE) + text(ENTRY_TIME), key, values: values };
}

/** The SapSource of an adapter, reading the tables and columns given. */
export function sqlSapSource(adapter: SqlAdapter, tables: SapSourceTables): SapSource {
  const { dialect, connection } = adapter;
  const q = (c: string) => dialect.quote(c);
  const matdoc = `${q(tables.schema)}.${q(tables.matdoc.table)}`;
  const mard = `${q(tables.schema)}.${q(tables.mard.table)}`;
  const matdocColumns = tables.matdoc.columns.map(q).join(', ');
  const mardColumns = tables.mard.columns.map(q).join(', ');
  const orderBy = ORDER.map(q).join(', ');
  const entryRange = (params: Params, entry: string, op: Comparison) =>
    tupleCondition(dialect, params, [ENTRY_DATE, ENTRY_TIME], entryParts(entry), op);
  const upToPoint = (params: Params, through: EntryPoint) =>
    tupleCondition(dialect, params, ORDER, pointValues(through), '<=');
  const bucketExpression = (length: BucketLength): string =>
    length === 8 ? q(ENTRY_DATE) : `${q(ENTRY_DATE)} || ${dialect.prefix(q(ENTRY_TIME), length - 8)}`;

  const clockOf = async (query: SqlQuery): Promise<number> => {
    const [row] = await query.query(dialect.clockStatement, []);
    const ms = Date.parse(row?.CLOCK ?? '');
    if (!Number.isFinite(ms))
      throw new SapSourceError(
        `the ${dialect.name} clock statement returned ${JSON.stringify(row?.CLOCK)}, not an ISO-8601 time`,
        { driver: dialect.name, call: 'clock' },
        { retriable: false },
      );
    return ms;
  };

  return {
    driver: dialect.name,
    clock: () => clockOf(connection),
    async columns(table) {
      const rows = await connection.query(dialect.columnsStatement, [tables.schema, table]);
      return rows.map((r) => String(r.COLUMN_NAME).toUpperCase());
    },
    async readAfter(after, upTo, limit) {
      const p = new Params(dialect);
      const where = `${tupleCondition(dialect, p, ORDER, pointValues(after), '>')} AND ${entryRange(p, upTo, '<=')}`;
      const sql = `SELECT ${matdocColumns} FROM ${matdoc} WHERE ${where} ORDER BY ${orderBy} ${dialect.limit(limit)}`;
      return (await connection.query(sql, p.values)).map(toMatdocRow);
    },
    async bucketCounts(from, through, length) {
      const p = new Params(dialect);
      const bucket = bucketExpression(length);
      const sql =
        `SELECT ${bucket} AS ${q('BUCKET')}, COUNT(*) AS ${q('N')} FROM ${matdoc} ` +
        `WHERE ${entryRange(p, from, '>=')} AND ${upToPoint(p, through)} GROUP BY ${bucket}`;
      const counts = new Map<string, number>();
      for (const row of await connection.query(sql, p.values)) counts.set(String(row.BUCKET), Number(row.N));
      return counts;
    },
    async readBucket(bucket, through) {
      const p = new Params(dialect);
      const where =
        `${entryRange(p, bucket.padEnd(14, '0'), '>=')} AND ${entryRange(p, bucket.padEnd(14, '9'), '<=')} ` +
        `AND ${upToPoint(p, through)}`;
      const sql = `SELECT ${matdocColumns} FROM ${matdoc} WHERE ${where} ORDER BY ${orderBy}`;
      return (await connection.query(sql, p.values)).map(toMatdocRow);
    },
    async readCut(from): Promise<SourceCut> {
      return connection.snapshot(async (query) => {
        const clockMs = await clockOf(query);
        const mardRows = await query.query(`SELECT ${mardColumns} FROM ${mard}`, []);
        const p = new Params(dialect);
        const included = await query.query(
          `SELECT ${matdocColumns} FROM ${matdoc} WHERE ${entryRange(p, from, '>=')} ORDER BY ${orderBy}`,
          p.values,
        );
        return { clockMs, mard: mardRows, included: included.map(toMatdocRow) };
      });
    },
    close: () => connection.close(),
  };
}
