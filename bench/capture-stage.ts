// SAP capture throughput: N MATDOC rows preloaded in a stand-in schema of the run's own (the
// shape of the stack's sapabap1), then captured onto a raw topic by the sap-capture role in a
// process of its own: keyset polls of sap.batchSize rows, one Kafka transaction each (records,
// the keys per bucket, the position), with the sweep on (one GROUP BY over the window each time).
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { StocklineConfig } from '../src/config/schema.js';
import { stackLayout } from '../src/dev/stack/layout.js';
import { readSecrets } from '../src/dev/stack/secrets.js';
import type { KafkaAdmin } from '../src/kafka/port.js';
import { figure, RoleProcess } from './protocol.js';

export interface CaptureResult {
  rows: number;
  batchSize: number;
  sweepIntervalMs: number;
  seconds: number;
  rowsPerSecond: number;
  transactions: number;
  sweeps: number;
  sweepFinds: number;
  peakRssMb: number;
}

/** Without progress for this long the run is stuck, not slow. */
const STALL_MS = 60_000;

/** SQL for each MATDOC column of the stand-in, for row g of n (entry times over the last 30 minutes, Berlin). */
const COLUMN_SQL: Record<string, string> = {
  MANDT: `'100'`,
  MBLNR: `(7000000000 + g)::text`,
  MJAHR: `to_char(e, 'YYYY')`,
  ZEILE: `'0001'`,
  RECORD_TYPE: `'MDOC'`,
  MATNR: `lpad((100200 + g % 500)::text, 18, '0')`,
  WERKS: `'1100'`,
  LGORT: `'0001'`,
  CHARG: `''`,
  LBBSA_SID: `'01'`,
  SOBKZ: `''`,
  BWART: `'101'`,
  SHKZG: `'S'`,
  MENGE: `1`,
  MEINS: `'ST'`,
  ERFMG: `1`,
  ERFME: `'ST'`,
  STOCK_QTY: `1`,
  BUDAT: `to_char(e, 'YYYYMMDD')`,
  BUDAT_MKPF: `to_char(e, 'YYYYMMDD')`,
  CPUDT_MKPF: `to_char(e, 'YYYYMMDD')`,
  CPUTM_MKPF: `to_char(e, 'HH24MISS')`,
  USNAM_MKPF: `'BENCH'`,
  SMBLN: `''`,
  SMBJP: `''`,
  SMBLP: `''`,
  INSMK: `''`,
};

/** The stack's PostgreSQL as its administrator, in the SAP stand-in database. */
function sapAdminClient(config: Readonly<StocklineConfig>): pg.Client {
  const secrets = readSecrets(stackLayout(config).secretsFile);
  return new pg.Client({
    host: '127.0.0.1',
    port: config.stack.postgres.port,
    user: 'postgres',
    password: secrets.STORE_PG_ADMIN_PASSWORD,
    database: 'sap',
  });
}

async function preloadSchema(config: Readonly<StocklineConfig>, schema: string, rows: number): Promise<void> {
  const admin = sapAdminClient(config);
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}."MATDOC" (LIKE sapabap1."MATDOC" INCLUDING DEFAULTS)`);
    await admin.query(`ALTER TABLE ${schema}."MATDOC" ADD PRIMARY KEY ("MANDT", "MBLNR", "MJAHR", "ZEILE")`);
    await admin.query(`CREATE TABLE ${schema}."MARD" (LIKE sapabap1."MARD" INCLUDING DEFAULTS)`);
    await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO stockline_app`);
    await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO stockline_app`);
    const { rows: columns } = await admin.query<{
      column_name: string;
      is_nullable: string;
      column_default: string | null;
    }>(
      'SELECT column_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [schema, 'MATDOC'],
    );
    const missing = columns.filter(
      (c) => !(c.column_name in COLUMN_SQL) && c.is_nullable === 'NO' && c.column_default === null,
    );
    if (missing.length > 0)
      throw new Error(`the bench cannot fill MATDOC columns ${missing.map((c) => c.column_name).join(', ')}`);
    const used = columns.filter((c) => c.column_name in COLUMN_SQL).map((c) => c.column_name);
    await admin.query(
      `INSERT INTO ${schema}."MATDOC" (${used.map((c) => `"${c}"`).join(', ')})
       SELECT ${used.map((c) => COLUMN_SQL[c]).join(', ')}
       FROM generate_series(0, ${rows - 1}) AS g,
            LATERAL (SELECT (now() AT TIME ZONE 'Europe/Berlin') - interval '30 minutes' + (g * 1800.0 / ${rows}) * interval '1 second' AS e) AS t`,
    );
  } finally {
    await admin.end();
  }
}

async function dropSchema(config: Readonly<StocklineConfig>, schema: string): Promise<void> {
  const admin = sapAdminClient(config);
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => admin.end());
}

export async function captureThroughput(input: {
  config: Readonly<StocklineConfig>;
  admin: KafkaAdmin;
  run: string;
  rows: number;
  batchSize: number;
  log: (line: string) => void;
}): Promise<CaptureResult> {
  const { config, admin, run, rows, batchSize, log } = input;
  const id = run
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(-12);
  const schema = `sapbench_${id}`;
  const prefix = `sapbench${id}`;
  const stateTopic = `${run}.sap.state`;
  const sweepIntervalMs = 5000;
  const secrets = readSecrets(stackLayout(config).secretsFile);
  try {
    log(`  preload ${rows.toLocaleString('en-US')} MATDOC rows in sap.${schema}`);
    await preloadSchema(config, schema, rows);
    const capture = await RoleProcess.start('sap-capture', {
      sap: {
        driver: 'postgres',
        host: '127.0.0.1',
        port: config.stack.postgres.port,
        user: 'stockline_app',
        password: secrets.STORE_PG_APP_PASSWORD ?? '',
        database: 'sap',
        schema,
        tls: { enabled: false, caFile: '' },
        timeZone: 'Europe/Berlin',
        safetyLagMs: 2000,
        lookBackMs: 3600000,
        bucket: 'minute',
        sweepIntervalMs,
        pollIntervalMs: 200,
        batchSize,
        topicPrefix: prefix,
        stateTopic,
        initialLoad: false,
        initialLoadId: '',
      },
    });
    try {
      // Timed from the first rows committed, so that connecting is not counted.
      let first: { at: number; rows: number } | undefined;
      let last = { at: Date.now(), rows: 0 };
      for (;;) {
        const report = await capture.report();
        const now = performance.now();
        const done = figure(report, 'rows');
        if (capture.failure) throw new Error(`sap-capture failed: ${capture.failure}`);
        if (done > last.rows) last = { at: Date.now(), rows: done };
        else if (Date.now() - last.at > STALL_MS)
          throw new Error(`sap-capture made no progress for ${STALL_MS / 1000} s at ${done} of ${rows}`);
        if (!first && done > 0) first = { at: now, rows: done };
        if (done >= rows && first) {
          const final = await capture.stop();
          const seconds = (now - first.at) / 1000;
          return {
            rows,
            batchSize,
            sweepIntervalMs,
            seconds,
            rowsPerSecond: (done - first.rows) / seconds,
            transactions: figure(final, 'transactions'),
            sweeps: figure(final, 'sweeps'),
            sweepFinds: figure(final, 'sweepFinds'),
            peakRssMb: final.peakRssMb,
          };
        }
        await sleep(100);
      }
    } catch (e) {
      capture.kill();
      throw e;
    }
  } finally {
    await admin
      .deleteTopics([`${prefix}.${schema}.MATDOC`, `${prefix}.${schema}.MARD`, stateTopic])
      .catch(() => undefined);
    await dropSchema(config, schema).catch(() => undefined);
  }
}
