// The SAP source port (sql-source.ts, the one implementation of SapSource) on the HANA adapter
// with the fake driver: the statements HANA gets for each method, their parameters, how answers
// come back, and the cut in one REPEATABLE READ transaction on a connection of its own.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { FakeHanaClient, placeholders } from '../../../test/support/hana-fake.js';
import type { MatdocKey, SapConnectionOptions, SapSource, SapSourceTables } from '../port.js';
import { openSapSource } from '../sources.js';
import { sqlSapSource } from '../sql-source.js';
import { SNAPSHOT_ISOLATION } from './connection.js';
import { hanaDialect, openHanaConnection, tableOf } from './source.js';

const OPTIONS: SapConnectionOptions = {
  host: 'hana.example',
  port: 30041,
  user: 'STOCKLINE_CAPTURE',
  password: 'pw',
  database: '',
  tls: { enabled: false, caFile: '' },
  poolMax: 2,
};

const TABLES: SapSourceTables = {
  schema: 'SAPABAP1',
  matdoc: {
    table: 'MATDOC',
    columns: ['MANDT', 'MJAHR', 'MBLNR', 'ZEILE', 'CPUDT_MKPF', 'CPUTM_MKPF', 'MATNR', 'ERFMG'],
  },
  mard: { table: 'NSDM_V_MARD', columns: ['MANDT', 'MATNR', 'WERKS', 'LGORT', 'LABST'] },
};

const KEY: MatdocKey = { MANDT: '100', MJAHR: '2026', MBLNR: '4900000001', ZEILE: '0001' };
const CLOCK = '2026-11-27T19:51:37.123Z';

function row(mblnr: string, time: string): Record<string, unknown> {
  return {
    MANDT: '100',
    MJAHR: '2026',
    MBLNR: mblnr,
    ZEILE: '0001',
    CPUDT_MKPF: '20261127',
    CPUTM_MKPF: time,
    MATNR: 'S3CRPC-00001',
    ERFMG: '12.500',
  };
}

async function sourceOn(client: FakeHanaClient): Promise<SapSource> {
  const adapter = await openHanaConnection(OPTIONS, { load: () => Promise.resolve(client) });
  return sqlSapSource(adapter, TABLES);
}

const queries = (client: FakeHanaClient) => client.calls.filter((c) => c.call === 'execQuery');

describe('the SAP source port on the HANA adapter (sql-source.ts + src/sap/hana/, fake driver)', () => {
  it("every statement gets exactly as many values as it has '?', and no other placeholder", async () => {
    const client = new FakeHanaClient();
    client.script({ match: 'DUMMY', rows: [{ CLOCK }] });
    const source = await sourceOn(client);
    const through = { entry: '20261127195000', key: KEY };
    await source.clock();
    await source.columns('MATDOC');
    await source.readAfter({ entry: '20261127101500', key: KEY }, '20261127195000', 1000);
    await source.bucketCounts('20261126195000', through, 10);
    await source.readBucket('2026112710', through);
    await source.readCut('20261126195000');
    const run = client.statements();
    // clock, columns, readAfter, bucketCounts, readBucket; the cut: SET TRANSACTION, clock, MARD, MATDOC.
    expect(run).to.have.length(9);
    for (const { sql, params } of run) {
      expect(placeholders(sql), sql).to.equal(params.length);
      expect(sql, sql).not.to.match(/\$\d/);
    }
    await source.close();
  });

  it('readAfter: the columns quoted, the keyset condition, the bound, source order and LIMIT', async () => {
    const client = new FakeHanaClient();
    client.script({
      match: '"SAPABAP1"."MATDOC"',
      rows: [row('4900000002', '101501'), row('4900000003', '101502')],
    });
    const source = await sourceOn(client);
    const rows = await source.readAfter({ entry: '20261127101500', key: KEY }, '20261127195000', 1000);
    const [statement] = queries(client);
    expect(statement?.sql).to.equal(
      'SELECT "MANDT", "MJAHR", "MBLNR", "ZEILE", "CPUDT_MKPF", "CPUTM_MKPF", "MATNR", "ERFMG" FROM "SAPABAP1"."MATDOC" ' +
        'WHERE "CPUDT_MKPF" >= ? AND ("CPUDT_MKPF" > ? OR ("CPUDT_MKPF" = ? AND ("CPUTM_MKPF" > ? OR ("CPUTM_MKPF" = ? AND ' +
        '("MANDT" > ? OR ("MANDT" = ? AND ("MJAHR" > ? OR ("MJAHR" = ? AND ("MBLNR" > ? OR ("MBLNR" = ? AND "ZEILE" > ?)))))))))) ' +
        'AND "CPUDT_MKPF" <= ? AND ("CPUDT_MKPF" < ? OR ("CPUDT_MKPF" = ? AND "CPUTM_MKPF" <= ?)) ' +
        'ORDER BY "CPUDT_MKPF", "CPUTM_MKPF", "MANDT", "MJAHR", "MBLNR", "ZEILE" LIMIT 1000',
    );
    expect(statement?.params).to.deep.equal([
      '20261127',
      '20261127',
      '20261127',
      '101500',
      '101500',
      '100',
      '100',
      '2026',
      '2026',
      '4900000001',
      '4900000001',
      '0001',
      '20261127',
      '20261127',
      '20261127',
      '195000',
    ]);
    expect(rows.map((r) => [r.entry, r.key.MBLNR, r.values.ERFMG])).to.deep.equal([
      ['20261127101501', '4900000002', '12.500'],
      ['20261127101502', '4900000003', '12.500'],
    ]);
    await source.close();
  });

  it('bucketCounts: one GROUP BY over the hour buckets (date || SUBSTRING(time, 1, 2)); counts as numbers', async () => {
    const client = new FakeHanaClient();
    client.script({
      match: 'GROUP BY',
      rows: [
        { BUCKET: '2026112709', N: 17 },
        { BUCKET: '2026112710', N: 3 },
      ],
    });
    const source = await sourceOn(client);
    const counts = await source.bucketCounts('20261126195000', { entry: '20261127195000', key: KEY }, 10);
    expect([...counts]).to.deep.equal([
      ['2026112709', 17],
      ['2026112710', 3],
    ]);
    const sql = queries(client)[0]!.sql ?? '';
    expect(sql).to.match(
      /^SELECT "CPUDT_MKPF" \|\| SUBSTRING\("CPUTM_MKPF", 1, 2\) AS "BUCKET", COUNT\(\*\) AS "N" FROM "SAPABAP1"\."MATDOC" WHERE /,
    );
    expect(sql).to.match(/ GROUP BY "CPUDT_MKPF" \|\| SUBSTRING\("CPUTM_MKPF", 1, 2\)$/);
    await source.close();
  });

  it("readBucket: the bucket's rows in source order, up to the point given", async () => {
    const client = new FakeHanaClient();
    client.script({ match: '"SAPABAP1"."MATDOC"', rows: [row('4900000007', '100501')] });
    const source = await sourceOn(client);
    const rows = await source.readBucket('2026112710', { entry: '20261127195000', key: KEY });
    expect(rows.map((r) => r.key.MBLNR)).to.deep.equal(['4900000007']);
    const { sql, params } = queries(client)[0]!;
    expect(sql).to.match(/ORDER BY "CPUDT_MKPF", "CPUTM_MKPF", "MANDT", "MJAHR", "MBLNR", "ZEILE"$/);
    expect(sql).not.to.contain('LIMIT');
    expect(params?.slice(0, 8)).to.deep.equal([
      '20261127',
      '20261127',
      '20261127',
      '100000',
      '20261127',
      '20261127',
      '20261127',
      '109999',
    ]);
    await source.close();
  });

  it("clock and columns: HANA's clock statement and SYS catalog, with (schema, table)", async () => {
    const client = new FakeHanaClient();
    client.script({ match: 'DUMMY', rows: [{ CLOCK }] });
    client.script({
      match: '"SYS"."TABLE_COLUMNS"',
      rows: [{ COLUMN_NAME: 'MANDT' }, { COLUMN_NAME: 'MBLNR' }],
    });
    const source = await sourceOn(client);
    expect(await source.clock()).to.equal(Date.parse(CLOCK));
    expect(await source.columns('MATDOC')).to.deep.equal(['MANDT', 'MBLNR']);
    const run = queries(client);
    expect(run.map((c) => c.sql)).to.deep.equal([hanaDialect.clockStatement, hanaDialect.columnsStatement]);
    expect(run[1]!.params).to.deep.equal(['SAPABAP1', 'MATDOC']);
    await source.close();
  });

  it('readCut: clock, stock view and the window of MATDOC in one REPEATABLE READ transaction on its own connection', async () => {
    const client = new FakeHanaClient();
    client.script({ match: 'DUMMY', rows: [{ CLOCK }] });
    client.script({
      match: 'NSDM_V_MARD',
      rows: [{ MANDT: '100', MATNR: 'M1', WERKS: '1000', LGORT: '0001', LABST: '40.000' }],
    });
    client.script({ match: '"SAPABAP1"."MATDOC"', rows: [row('4900000002', '101501')] });
    const source = await sourceOn(client);
    const cut = await source.readCut('20261126195000');
    expect(cut.clockMs).to.equal(Date.parse(CLOCK));
    expect(cut.mard).to.deep.equal([
      { MANDT: '100', MATNR: 'M1', WERKS: '1000', LGORT: '0001', LABST: '40.000' },
    ]);
    expect(cut.included.map((r) => r.key.MBLNR)).to.deep.equal(['4900000002']);
    const onCut = client.calls.filter((c) => c.connection === 2);
    const statements = onCut.filter((c) => c.call === 'exec' || c.call === 'execQuery');
    expect(statements.map((c) => [c.call, tableOf(c.sql ?? '') ?? c.sql?.slice(0, 24)])).to.deep.equal([
      ['exec', SNAPSHOT_ISOLATION.slice(0, 24)],
      ['execQuery', hanaDialect.clockStatement.slice(0, 24)],
      ['execQuery', '"SAPABAP1"."NSDM_V_MARD"'],
      ['execQuery', '"SAPABAP1"."MATDOC"'],
    ]);
    expect(statements.map((c) => c.autoCommit)).to.deep.equal([true, false, false, false]);
    expect(onCut.map((c) => c.call).slice(-3)).to.deep.equal([
      'rollback',
      'setAutoCommit(true)',
      'disconnect',
    ]);
    expect(client.calls.filter((c) => c.connection === 1 && c.call === 'execQuery')).to.have.length(0);
    await source.close();
  });

  it("openSapSource with the HANA adapter: the catalog check runs on HANA's SYS views", async () => {
    const client = new FakeHanaClient();
    const matdoc = TABLES.matdoc.columns.concat(['BWART', 'SHKZG', 'ERFME', 'WERKS', 'LGORT', 'LBBSA_SID']);
    client.script({
      match: '"SYS"."TABLE_COLUMNS"',
      rows: (params) =>
        (params[1] === 'MATDOC' ? matdoc : TABLES.mard.columns).map((c) => ({ COLUMN_NAME: c })),
    });
    const opened = await openSapSource(
      {
        driver: 'hana',
        connection: OPTIONS,
        schema: 'SAPABAP1',
        matdocTable: 'MATDOC',
        mardTable: 'NSDM_V_MARD',
      },
      (options) => openHanaConnection(options, { load: () => Promise.resolve(client) }),
    );
    expect(opened.source.driver).to.equal('hana');
    expect(opened.tables.matdoc.columns).to.include.members(['LBBSA_SID', 'ERFMG', 'CPUTM_MKPF']);
    expect(opened.tables.mard.columns).to.deep.equal(TABLES.mard.columns);
    expect(queries(client).map((c) => c.params)).to.deep.equal([
      ['SAPABAP1', 'MATDOC'],
      ['SAPABAP1', 'NSDM_V_MARD'],
    ]);
    await opened.source.close();
  });

  it('openSapSource with sap.driver hana reaches this adapter and the real @sap/hana-client (a refused port)', async function () {
    try {
      createRequire(import.meta.url).resolve('@sap/hana-client/package.json');
    } catch {
      this.skip();
    }
    let error: { code?: string; retriable?: boolean; context?: Record<string, unknown> } | undefined;
    try {
      await openSapSource({
        driver: 'hana',
        connection: { ...OPTIONS, host: '127.0.0.1', port: 1 },
        schema: 'SAPABAP1',
        matdocTable: 'MATDOC',
        mardTable: 'NSDM_V_MARD',
      });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).to.equal('STOCKLINE_SAP_FAILED');
    expect(error?.retriable).to.equal(true);
    expect(error?.context).to.include({ driver: 'hana', call: 'connect', reasonCode: -10709 });
  });
});
