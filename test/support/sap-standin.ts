// A SAP stand-in schema of a test's own in the stack's PostgreSQL (database sap): MATDOC and
// MARD shaped like sapabap1's (whatever columns they have now), writable by the application user.
import { DateTime } from 'luxon';
import pg from 'pg';
import type { StocklineConfig } from '../../src/config/schema.js';
import type { TestStack } from './stack.js';

export const SAP_ZONE = 'Europe/Berlin';

/** The entry time 'YYYYMMDDHHMMSS' in the plant's zone of an instant. */
export const entryAt = (ms: number): string =>
  DateTime.fromMillis(ms, { zone: SAP_ZONE }).toFormat('yyyyLLddHHmmss');

function connect(env: TestStack, user: 'postgres' | 'stockline_app'): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port: env.config.stack.postgres.port,
    user,
    password: user === 'postgres' ? env.secrets.STORE_PG_ADMIN_PASSWORD : env.secrets.STORE_PG_APP_PASSWORD,
    database: 'sap',
  });
}

export interface Movement {
  mblnr: string;
  entry: string;
  /** Base-unit quantity, 3 decimals; negative: a credit (SHKZG H). */
  quantity?: string;
  matnr?: string;
  werks?: string;
  lgort?: string;
}

/** Creates the schema; returns the app user's client on it, the insert helper and the drop. */
export async function createStandinSchema(env: TestStack, schema: string) {
  if (!/^[a-z][a-z0-9_]*$/.test(schema)) throw new Error(`not a plain schema name: ${schema}`);
  const admin = connect(env, 'postgres');
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(
      `CREATE TABLE ${schema}."MATDOC" (LIKE sapabap1."MATDOC" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    );
    await admin.query(`ALTER TABLE ${schema}."MATDOC" ADD PRIMARY KEY ("MANDT", "MBLNR", "MJAHR", "ZEILE")`);
    await admin.query(`CREATE TABLE ${schema}."MARD" (LIKE sapabap1."MARD" INCLUDING DEFAULTS)`);
    await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO stockline_app`);
    await admin.query(`GRANT ALL ON ALL TABLES IN SCHEMA ${schema} TO stockline_app`);
  } finally {
    await admin.end();
  }
  const columns = async (client: pg.Client, table: string) =>
    (
      await client.query<{ column_name: string; is_nullable: string; column_default: string | null }>(
        'SELECT column_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
        [schema, table],
      )
    ).rows;
  const app = connect(env, 'stockline_app');
  await app.connect();
  const matdocColumns = await columns(app, 'MATDOC');

  /** Inserts movements on `client` (the app's, or one holding a transaction open). */
  const insert = async (client: pg.Client, movements: readonly Movement[]) => {
    if (movements.length === 0) return;
    const rows = movements.map((m) => {
      const q = m.quantity ?? '1.000';
      const credit = q.startsWith('-');
      const abs = credit ? q.slice(1) : q;
      const candidates: Record<string, string> = {
        MANDT: '100',
        MBLNR: m.mblnr,
        MJAHR: m.entry.slice(0, 4),
        ZEILE: '0001',
        RECORD_TYPE: 'MDOC',
        MATNR: m.matnr ?? '000000000000100200',
        WERKS: m.werks ?? '1100',
        LGORT: m.lgort ?? '0001',
        CHARG: '',
        BWART: credit ? '601' : '101',
        SHKZG: credit ? 'H' : 'S',
        MENGE: abs,
        MEINS: 'ST',
        ERFMG: abs,
        ERFME: 'ST',
        BUDAT: m.entry.slice(0, 8),
        BUDAT_MKPF: m.entry.slice(0, 8),
        CPUDT_MKPF: m.entry.slice(0, 8),
        CPUTM_MKPF: m.entry.slice(8),
        USNAM_MKPF: 'TEST',
        LBBSA_SID: '01',
        SOBKZ: '',
        STOCK_QTY: q,
        INSMK: '',
        SMBLN: '',
        SMBJP: '',
        SMBLP: '',
      };
      return matdocColumns
        .filter((c) => c.column_name in candidates)
        .map((c) => [c.column_name, candidates[c.column_name]!] as const);
    });
    const names = rows[0]!.map(([n]) => `"${n}"`).join(', ');
    const values: string[] = [];
    const tuples = rows.map((r) => `(${r.map(([, v]) => `$${values.push(v)}`).join(', ')})`);
    await client.query(`INSERT INTO ${schema}."MATDOC" (${names}) VALUES ${tuples.join(', ')}`, values);
  };

  /** A client of its own, in an open transaction (a goods movement still in SAP's update task). */
  const holdOpen = async (): Promise<pg.Client> => {
    const client = connect(env, 'stockline_app');
    await client.connect();
    await client.query('BEGIN');
    return client;
  };

  const drop = async () => {
    await app.end().catch(() => undefined);
    const a = connect(env, 'postgres');
    await a.connect();
    await a.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => a.end());
  };
  return { app, insert, holdOpen, drop, connect: () => connect(env, 'stockline_app') };
}

/** The sap section for the capture of that schema on the stack. */
export function standinSapConfig(
  env: TestStack,
  schema: string,
  suffix: string,
  overrides: Partial<StocklineConfig['sap']> = {},
): StocklineConfig['sap'] {
  return {
    ...env.config.sap,
    driver: 'postgres',
    host: '127.0.0.1',
    port: env.config.stack.postgres.port,
    user: 'stockline_app',
    password: env.secrets.STORE_PG_APP_PASSWORD ?? '',
    database: 'sap',
    schema,
    tls: { enabled: false, caFile: '' },
    tables: ['MATDOC'],
    mardTable: 'MARD',
    timeZone: SAP_ZONE,
    safetyLagMs: 1500,
    lookBackMs: 3600000,
    bucket: 'minute',
    sweepIntervalMs: 1000,
    pollIntervalMs: 200,
    batchSize: 500,
    topicPrefix: `sapt${suffix}`,
    stateTopic: `test.sapcap.state.${suffix}`,
    initialLoad: false,
    initialLoadId: '',
    ...overrides,
  };
}
