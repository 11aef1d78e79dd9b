/**
 * The SAP source port's read methods against a real SAP HANA, through the `hana` adapter
 * (src/sap/hana/) and the real `@sap/hana-client`. Opt-in: it runs only when
 * STOCKLINE_TEST_HANA_URL names a HANA, and is skipped with that reason otherwise (no HANA runs
 * on these machines):
 *
 *   STOCKLINE_TEST_HANA_URL='hana://USER:PASSWORD@host:30041/?schema=SAPABAP1&mard=NSDM_V_MARD'
 *
 * - the path names the tenant database when the port is the system database's (`/S4P`);
 * - `schema` (SAPABAP1), `matdoc` (MATDOC), `mard` (NSDM_V_MARD: S/4HANA's stock view, see the
 *   README), `timeZone` (UTC: the SAP system's, for entry times), `tls` (true), `caFile` (PEM);
 * - `cut=1` also reads the initial load's cut, which reads ALL of the stock view: leave it out
 *   on a large system.
 * The user needs SELECT on the two objects only. Nothing is written.
 */
import { expect } from 'chai';
import { DateTime } from 'luxon';
import { MATDOC_REQUIRED, MARD_REQUIRED } from '../../src/sap/columns.js';
import { KEY_COLUMNS, MIN_KEY, type MatdocRow, type SapSource } from '../../src/sap/port.js';
import { openSapSource } from '../../src/sap/sources.js';
import { openConnection } from '../../src/sap/hana/source.js';

const URL_VARIABLE = 'STOCKLINE_TEST_HANA_URL';
const raw = process.env[URL_VARIABLE] ?? '';

interface HanaTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  schema: string;
  matdoc: string;
  mard: string;
  timeZone: string;
  tls: boolean;
  caFile: string;
  cut: boolean;
}

function target(text: string): HanaTarget {
  const url = new URL(text);
  if (url.protocol !== 'hana:')
    throw new Error(`${URL_VARIABLE} is hana://USER:PASSWORD@host:port/?..., not ${url.protocol}`);
  const q = url.searchParams;
  return {
    host: url.hostname,
    port: Number(url.port || 30015),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    schema: q.get('schema') ?? 'SAPABAP1',
    matdoc: q.get('matdoc') ?? 'MATDOC',
    mard: q.get('mard') ?? 'NSDM_V_MARD',
    timeZone: q.get('timeZone') ?? 'UTC',
    tls: (q.get('tls') ?? 'true') !== 'false',
    caFile: q.get('caFile') ?? '',
    cut: q.get('cut') === '1',
  };
}

/** Source order of two rows: (entry, MANDT, MJAHR, MBLNR, ZEILE) as text. */
const orderOf = (row: MatdocRow): string[] => [row.entry, ...KEY_COLUMNS.map((k) => row.key[k])];
const precedes = (a: string[], b: string[]): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
};

const title = 'SAP source port on a real SAP HANA (src/sap/hana/, @sap/hana-client)';

describe(raw === '' ? `${title} (skipped: ${URL_VARIABLE} is not set)` : title, function () {
  this.timeout(120_000);
  let hana: HanaTarget;
  let source: SapSource;

  before(async function () {
    if (raw === '') this.skip();
    hana = target(raw);
    const opened = await openSapSource(
      {
        driver: 'hana',
        connection: {
          host: hana.host,
          port: hana.port,
          user: hana.user,
          password: hana.password,
          database: hana.database,
          tls: { enabled: hana.tls, caFile: hana.caFile },
          poolMax: 2,
        },
        schema: hana.schema,
        matdocTable: hana.matdoc,
        mardTable: hana.mard,
      },
      openConnection,
    );
    source = opened.source;
    expect(opened.tables.matdoc.columns).to.include.members([...MATDOC_REQUIRED]);
    expect(opened.tables.mard.columns).to.include.members([...MARD_REQUIRED]);
  });

  after(async () => {
    await source?.close();
  });

  /** The entry time of a moment, as MATDOC stores it in the SAP system's zone. */
  const entryAt = (ms: number): string =>
    DateTime.fromMillis(ms, { zone: hana.timeZone }).toFormat('yyyyLLddHHmmss');

  it("the clock is HANA's UTC time, near this machine's", async () => {
    const clock = await source.clock();
    expect(source.driver).to.equal('hana');
    expect(Math.abs(clock - Date.now())).to.be.lessThan(3_600_000);
  });

  it('the catalog lists MATDOC with every column the capture needs, and nothing for a table that is not there', async () => {
    expect(await source.columns(hana.matdoc)).to.include.members([...MATDOC_REQUIRED]);
    expect(await source.columns('STOCKLINE_NO_SUCH_TABLE')).to.deep.equal([]);
  });

  it('readAfter: at most the limit, in source order, every value text, up to the bound', async () => {
    const upTo = entryAt(await source.clock());
    const rows = await source.readAfter({ entry: '00000000000000', key: MIN_KEY }, upTo, 5);
    expect(rows.length).to.be.at.most(5);
    for (const row of rows) {
      expect(row.entry <= upTo).to.equal(true);
      for (const value of Object.values(row.values))
        expect(value === null || typeof value === 'string').to.equal(true);
    }
    for (let i = 1; i < rows.length; i++)
      expect(precedes(orderOf(rows[i - 1]!), orderOf(rows[i]!))).to.equal(true);
    if (rows.length > 0) {
      const next = await source.readAfter({ entry: rows[0]!.entry, key: rows[0]!.key }, upTo, 1);
      expect(next.map(orderOf)).to.deep.equal(rows.slice(1, 2).map(orderOf));
    }
  });

  it('bucketCounts over the last day and readBucket of its last bucket agree (the sweep)', async () => {
    const now = await source.clock();
    const through = {
      entry: entryAt(now),
      key: { MANDT: '999', MJAHR: '9999', MBLNR: '9999999999', ZEILE: '9999' },
    };
    const counts = await source.bucketCounts(entryAt(now - 86_400_000), through, 10);
    for (const [bucket, n] of counts) {
      expect(bucket).to.match(/^\d{10}$/);
      expect(n).to.be.greaterThan(0);
    }
    const last = [...counts.keys()].sort().at(-1);
    if (last === undefined) return;
    const rows = await source.readBucket(last, through);
    // Rows that commit late into the bucket between the two statements can only add to it.
    expect(rows.length).to.be.at.least(counts.get(last)!);
    expect(rows.every((r) => r.entry.startsWith(last))).to.equal(true);
  });

  it('readCut (cut=1): the clock, the stock view and the movements of the window, from one snapshot', async function () {
    if (!hana.cut) this.skip();
    const now = await source.clock();
    const cut = await source.readCut(entryAt(now - 3_600_000));
    expect(Math.abs(cut.clockMs - now)).to.be.lessThan(600_000);
    for (const row of cut.mard.slice(0, 100)) expect(Object.keys(row)).to.include.members([...MARD_REQUIRED]);
    for (const row of cut.included) expect(row.entry >= entryAt(now - 3_600_000)).to.equal(true);
  });
});
