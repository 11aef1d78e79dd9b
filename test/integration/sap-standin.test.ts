// The SAP stand-in's schema (connectors/seed/sap-standin.sql), in scratch databases of the
// stack's PostgreSQL: created fresh, migrated from the older shape (MARD a table, BUDAT), and
// MARD computed from MATDOC as S/4HANA's compatibility view does.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { multiRowInsert } from '../../src/dev/samples/insert.js';
import { sapSample, type MatdocRow } from '../../src/dev/samples/sample-data.js';
import { createLogger } from '../../src/observability/logger.js';
import { seedSapStandin } from '../../src/dev/stack/seed/seed-postgres.js';
import { createScratchDatabase } from '../support/databases.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

const SEED = readFileSync('connectors/seed/sap-standin.sql', 'utf8');

/** The stand-in as it was before MARD became a view (trimmed to what the migration touches). */
const OLD_SHAPE = `
CREATE SCHEMA sapabap1;
CREATE TABLE sapabap1."MATDOC" (
  "MANDT" varchar(3) NOT NULL, "MBLNR" varchar(10) NOT NULL, "MJAHR" varchar(4) NOT NULL,
  "ZEILE" varchar(4) NOT NULL, "RECORD_TYPE" varchar(4) NOT NULL DEFAULT 'MDOC',
  "MATNR" varchar(40) NOT NULL, "WERKS" varchar(4) NOT NULL, "LGORT" varchar(4) NOT NULL,
  "CHARG" varchar(10) NOT NULL DEFAULT '', "BWART" varchar(3) NOT NULL,
  "SHKZG" varchar(1) NOT NULL CHECK ("SHKZG" IN ('S', 'H')), "MENGE" numeric(13, 3) NOT NULL,
  "MEINS" varchar(3) NOT NULL, "ERFMG" numeric(13, 3) NOT NULL, "ERFME" varchar(3) NOT NULL,
  "BUDAT" varchar(8) NOT NULL, "CPUDT_MKPF" varchar(8) NOT NULL, "CPUTM_MKPF" varchar(6) NOT NULL,
  "USNAM_MKPF" varchar(12) NOT NULL,
  PRIMARY KEY ("MANDT", "MBLNR", "MJAHR", "ZEILE"));
CREATE TABLE sapabap1."MARD" (
  "MANDT" varchar(3) NOT NULL, "MATNR" varchar(40) NOT NULL, "WERKS" varchar(4) NOT NULL,
  "LGORT" varchar(4) NOT NULL, "LABST" numeric(13, 3) NOT NULL DEFAULT 0,
  "UMLME" numeric(13, 3) NOT NULL DEFAULT 0, "INSME" numeric(13, 3) NOT NULL DEFAULT 0,
  "EINME" numeric(13, 3) NOT NULL DEFAULT 0, "SPEME" numeric(13, 3) NOT NULL DEFAULT 0,
  "RETME" numeric(13, 3) NOT NULL DEFAULT 0, "LFGJA" varchar(4) NOT NULL, "LFMON" varchar(2) NOT NULL,
  PRIMARY KEY ("MANDT", "MATNR", "WERKS", "LGORT"));
ALTER TABLE sapabap1."MARD" REPLICA IDENTITY FULL;
CREATE PUBLICATION stockline_sap FOR TABLE sapabap1."MATDOC", sapabap1."MARD";
INSERT INTO sapabap1."MATDOC" VALUES
  ('100', '4900000001', '2026', '0001', 'MDOC', '000000000000100200', '1000', '0001', '', '601', 'H',
   '12.000', 'ST', '1.000', 'KAR', '20261120', '20261120', '083400', 'WM_BATCH');
INSERT INTO sapabap1."MARD" VALUES
  ('100', '000000000000100200', '1000', '0001', 1200, 0, 0, 0, 0, 0, '2026', '11');
`;

describe('SAP stand-in schema: MATDOC, and MARD as a view over it (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  const drops: (() => Promise<void>)[] = [];

  before(async () => {
    env = await ensureStack();
  });
  after(async () => {
    for (const drop of drops) await drop();
  });

  async function scratch(): Promise<pg.Client> {
    const name = `sap_standin_${randomBytes(4).toString('hex')}`;
    drops.push(await createScratchDatabase(env, name));
    const client = new pg.Client({
      host: '127.0.0.1',
      port: env.config.stack.postgres.port,
      user: 'stockline_app',
      password: env.secrets.STORE_PG_APP_PASSWORD,
      database: name,
    });
    await client.connect();
    drops.unshift(() => client.end());
    return client;
  }

  const relkind = async (c: pg.Client, name: string) =>
    (
      await c.query<{ relkind: string }>(
        `SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'sapabap1' AND c.relname = $1`,
        [name],
      )
    ).rows[0]?.relkind;
  const published = async (c: pg.Client) =>
    (
      await c.query<{ tablename: string }>(
        "SELECT tablename FROM pg_publication_tables WHERE pubname = 'stockline_sap' ORDER BY 1",
      )
    ).rows.map((r) => r.tablename);
  const mard = async (c: pg.Client, matnr: string, werks: string) =>
    (
      await c.query<Record<string, string>>(
        'SELECT * FROM sapabap1."MARD" WHERE "MANDT" = \'100\' AND "MATNR" = $1 AND "WERKS" = $2',
        [matnr, werks],
      )
    ).rows;

  it('a fresh stand-in: MATDOC with the new columns, MARD a view, MATDOC alone published, the entry-time index; twice is harmless', async () => {
    const c = await scratch();
    await c.query(SEED);
    await c.query(SEED);
    expect(await relkind(c, 'MATDOC')).to.equal('r');
    expect(await relkind(c, 'MARD')).to.equal('v');
    expect(await published(c)).to.deep.equal(['MATDOC']);
    const { rows: columns } = await c.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'sapabap1' AND table_name = 'MATDOC'",
    );
    expect(columns.map((r) => r.column_name)).to.include.members([
      'LBBSA_SID',
      'SOBKZ',
      'SMBLN',
      'SMBJP',
      'SMBLP',
      'BUDAT_MKPF',
      'STOCK_QTY',
      'RECORD_TYPE',
    ]);
    expect(columns.map((r) => r.column_name)).to.not.include('BUDAT');
    const { rows: index } = await c.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'sapabap1' AND indexname = 'MATDOC~CPU'",
    );
    expect(index[0]?.indexdef).to.contain('("CPUDT_MKPF", "CPUTM_MKPF"');
  });

  it('MARD sums STOCK_QTY per stock type, of own stock only: a 321 moves quantity from INSME to LABST', async () => {
    const c = await scratch();
    await c.query(SEED);
    const base = sapSample(2).movements[0]!;
    const line = (n: number, fields: Partial<MatdocRow>): MatdocRow => ({
      ...base,
      MBLNR: String(5_100_000_000 + n),
      MATNR: '000000000000999001',
      WERKS: '1000',
      ...fields,
    });
    const rows = [
      line(1, { BWART: '101', SHKZG: 'S', LBBSA_SID: '01', MENGE: '24.000', STOCK_QTY: '24.000' }),
      line(2, { BWART: '101', SHKZG: 'S', LBBSA_SID: '02', MENGE: '10.000', STOCK_QTY: '10.000' }),
      line(3, { BWART: '321', SHKZG: 'H', LBBSA_SID: '02', MENGE: '4.000', STOCK_QTY: '-4.000' }),
      line(3, {
        ZEILE: '0002',
        BWART: '321',
        SHKZG: 'S',
        LBBSA_SID: '01',
        MENGE: '4.000',
        STOCK_QTY: '4.000',
      }),
      line(4, { BWART: '101', SHKZG: 'S', LBBSA_SID: '07', MENGE: '3.000', STOCK_QTY: '3.000' }),
      line(5, {
        BWART: '101',
        SHKZG: 'S',
        LBBSA_SID: '01',
        SOBKZ: 'K',
        MENGE: '50.000',
        STOCK_QTY: '50.000',
      }),
      line(6, {
        BWART: '102',
        SHKZG: 'H',
        LBBSA_SID: '01',
        MENGE: '24.000',
        STOCK_QTY: '-24.000',
        SMBLN: '5100000001',
        SMBJP: base.MJAHR,
        SMBLP: '0001',
        BUDAT_MKPF: '20261201',
      }),
      line(7, {
        WERKS: '1100',
        BWART: '101',
        SHKZG: 'S',
        LBBSA_SID: '03',
        MENGE: '2.000',
        STOCK_QTY: '2.000',
      }),
    ];
    const { sql, values } = multiRowInsert('postgres', 'sapabap1."MATDOC"', rows);
    await c.query(sql, values);
    expect(await mard(c, '000000000000999001', '1000')).to.deep.equal([
      {
        MANDT: '100',
        MATNR: '000000000000999001',
        WERKS: '1000',
        LGORT: '0001',
        LABST: '4.000',
        UMLME: '0.000',
        INSME: '6.000',
        EINME: '0.000',
        SPEME: '3.000',
        RETME: '0.000',
        LFGJA: '2026',
        LFMON: '12',
      },
    ]);
    expect((await mard(c, '000000000000999001', '1100'))[0]).to.include({ LABST: '0.000', RETME: '2.000' });
    // A view: there is nothing to write, so nothing can disagree with MATDOC.
    try {
      await c.query(`UPDATE sapabap1."MARD" SET "LABST" = 0`);
      expect.fail('MARD took an update');
    } catch (e) {
      expect((e as Error).message).to.match(/cannot update view/);
    }
  });

  it('migrates the older shape: BUDAT renamed, STOCK_QTY filled from SHKZG, MARD table and its publication membership gone; twice is harmless', async () => {
    const c = await scratch();
    await c.query(OLD_SHAPE);
    expect(await published(c)).to.deep.equal(['MARD', 'MATDOC']);
    await c.query(SEED);
    await c.query(SEED);
    expect(await relkind(c, 'MARD')).to.equal('v');
    expect(await published(c)).to.deep.equal(['MATDOC']);
    const { rows } = await c.query<Record<string, string>>(
      `SELECT "BUDAT_MKPF", "STOCK_QTY", "LBBSA_SID", "SOBKZ", "SMBLN" FROM sapabap1."MATDOC" WHERE "MBLNR" = '4900000001'`,
    );
    expect(rows).to.deep.equal([
      { BUDAT_MKPF: '20261120', STOCK_QTY: '-12.000', LBBSA_SID: '01', SOBKZ: '', SMBLN: '' },
    ]);
    expect((await mard(c, '000000000000100200', '1000'))[0]).to.include({ LABST: '-12.000' });
  });

  it("the stack's seed on a stand-in of the older shape: migrated, the sample's opening balances (561) added once, its movements not again", async () => {
    const c = await scratch();
    await c.query(OLD_SHAPE);
    const log = createLogger({ level: 'silent' });
    await seedSapStandin(c, log);
    await seedSapStandin(c, log);
    const sample = sapSample(2);
    const count = async (mblnr: string) =>
      Number(
        (
          await c.query<{ n: string }>('SELECT count(*) AS n FROM sapabap1."MATDOC" WHERE "MBLNR" = $1', [
            mblnr,
          ])
        ).rows[0]!.n,
      );
    // The older stand-in had the first movement already: the seed leaves the movements alone.
    expect(await count(sample.movements[0]!.MBLNR)).to.equal(1);
    expect(await count(sample.movements[1]!.MBLNR)).to.equal(0);
    const opening = sample.openings[0]!;
    expect(await count(opening.MBLNR)).to.equal(
      sample.openings.filter((o) => o.MBLNR === opening.MBLNR).length,
    );
    const [row] = await mard(c, opening.MATNR, opening.WERKS);
    // The opening balance, less the older stand-in's delivery (601, 12 pieces) of that material there.
    expect(Math.round(Number(row!.LABST) * 1000)).to.equal(Math.round(Number(opening.MENGE) * 1000) - 12_000);
  });

  it("the stack's seed on an empty database: the whole sample, and MARD holds its opening balances plus its movements", async () => {
    const c = await scratch();
    const log = createLogger({ level: 'silent' });
    await seedSapStandin(c, log);
    await seedSapStandin(c, log);
    const sample = sapSample(2);
    const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM sapabap1."MATDOC"');
    expect(Number(rows[0]!.n)).to.equal(sample.openings.length + sample.movements.length);
    const { rows: sums } = await c.query<{ labst: string; insme: string }>(
      'SELECT sum("LABST") AS labst, sum("INSME") AS insme FROM sapabap1."MARD"',
    );
    const total = (rows: MatdocRow[], sid: string) =>
      rows
        .filter((r) => r.LBBSA_SID === sid)
        .reduce((sum, r) => sum + Math.round(Number(r.STOCK_QTY) * 1000), 0);
    const all = [...sample.openings, ...sample.movements];
    expect(Math.round(Number(sums[0]!.labst) * 1000)).to.equal(total(all, '01'));
    expect(Math.round(Number(sums[0]!.insme) * 1000))
      .to.equal(total(all, '02'))
      .and.above(0);
  });
});
