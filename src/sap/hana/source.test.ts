import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import ts from 'typescript';
import { Writable } from 'node:stream';
import { createLogger } from '../../observability/logger.js';
import { FakeHanaClient, hanaError } from '../../../test/support/hana-fake.js';
import type { SapConnectionOptions, SqlAdapter } from '../port.js';
import { SNAPSHOT_ISOLATION } from './connection.js';
import { HANA_INSTALL_HINT, loadHanaClient } from './driver.js';
import { hanaDialect, openConnection, openHanaConnection, tableOf, toTextRow } from './source.js';

const PASSWORD = 'S3cret-Hana-Pw!';

function sap(overrides: Partial<SapConnectionOptions> = {}): SapConnectionOptions {
  return {
    host: 'hana.example',
    port: 30015,
    user: 'STOCKLINE_CAPTURE',
    password: PASSWORD,
    database: '',
    tls: { enabled: false, caFile: '' },
    poolMax: 2,
    ...overrides,
  };
}

type Failure = Error & { code?: string; retriable?: boolean; context?: Record<string, unknown> };

async function rejection(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected a rejection');
}

function hanaClientInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@sap/hana-client/package.json');
    return true;
  } catch {
    return false;
  }
}

async function open(
  client: FakeHanaClient,
  overrides: Partial<SapConnectionOptions> = {},
): Promise<SqlAdapter> {
  return openHanaConnection(sap(overrides), { load: () => Promise.resolve(client) });
}

describe('HANA adapter of the SAP source port (src/sap/hana/source.ts)', () => {
  describe('dialect', () => {
    it('quotes identifiers, doubling quotes inside', () => {
      expect(hanaDialect.quote('MATDOC')).to.equal('"MATDOC"');
      expect(hanaDialect.quote('/BIC/A"B')).to.equal('"/BIC/A""B"');
    });

    it("numbers no parameter: '?' each time; LIMIT n; SUBSTRING for a prefix", () => {
      expect([hanaDialect.param(1), hanaDialect.param(7)]).to.deep.equal(['?', '?']);
      expect(hanaDialect.limit(1000)).to.equal('LIMIT 1000');
      expect(hanaDialect.limit(12.7)).to.equal('LIMIT 12');
      expect(hanaDialect.prefix('"CPUTM_MKPF"', 2)).to.equal('SUBSTRING("CPUTM_MKPF", 1, 2)');
      expect(hanaDialect.name).to.equal('hana');
    });

    it('the clock: CURRENT_UTCTIMESTAMP from DUMMY, as ISO-8601 text ending in Z, in the column CLOCK', () => {
      expect(hanaDialect.clockStatement).to.equal(
        `SELECT REPLACE(TO_VARCHAR(CURRENT_UTCTIMESTAMP, 'YYYY-MM-DD HH24:MI:SS.FF3'), ' ', 'T') || 'Z' AS "CLOCK" FROM DUMMY`,
      );
    });

    it('the catalog: SYS.TABLE_COLUMNS and SYS.VIEW_COLUMNS, filtered by (schema, name) with exactly two parameters', () => {
      const sql = hanaDialect.columnsStatement;
      expect(sql).to.contain('"SYS"."TABLE_COLUMNS"');
      expect(sql).to.contain('"SYS"."VIEW_COLUMNS"');
      expect(sql).to.contain('WHERE "SCHEMA_NAME" = ? AND "OBJECT_NAME" = ?');
      expect(sql.match(/\?/g)).to.have.length(2);
      expect(sql).to.match(/^SELECT "COLUMN_NAME" FROM /);
      expect(sql).to.match(/ORDER BY "POSITION"$/);
    });
  });

  describe('values as the port wants them: text or null', () => {
    const where = { database: 's:1', user: 'U', sql: 'SELECT' };

    it('text stays, integers and bigints become digits, binary becomes upper-case hex, null stays null', () => {
      expect(
        toTextRow(
          { MENGE: '12.500', N: 42, BIG: 9007199254740993n, KEY1: Buffer.from([0xab, 0x01]), SMBLN: null },
          where,
        ),
      ).to.deep.equal({ MENGE: '12.500', N: '42', BIG: '9007199254740993', KEY1: 'AB01', SMBLN: null });
    });

    it('a binary floating-point number is refused, naming the column, never rounded', () => {
      let error: Failure | undefined;
      try {
        toTextRow({ MENGE: 0.1 }, where);
      } catch (e) {
        error = e as Failure;
      }
      expect(error?.retriable).to.equal(false);
      expect(error?.message).to.contain('column MENGE as number 0.1, not as exact text');
      expect(error?.context?.columnName).to.equal('MENGE');
    });

    it('the table of a statement, for the errors', () => {
      expect(tableOf('SELECT "A" FROM "SAPABAP1"."MATDOC" WHERE x = ?')).to.equal('"SAPABAP1"."MATDOC"');
      expect(tableOf('SELECT 1 FROM DUMMY')).to.equal(undefined);
    });
  });

  describe('openConnection on the fake driver', () => {
    it('connects once at open, with the properties from the options, and queries on that connection', async () => {
      const client = new FakeHanaClient();
      client.script({
        match: 'MATDOC',
        rows: (params) => [{ MJAHR: String(params[0]), N: 3, ERFMG: '1.000' }],
      });
      const adapter = await open(client, { database: 'S4P' });
      expect(adapter.dialect).to.equal(hanaDialect);
      expect(client.connections).to.have.length(1);
      expect(client.connections[0]!.options).to.include({
        serverNode: 'hana.example:30015',
        uid: 'STOCKLINE_CAPTURE',
        databaseName: 'S4P',
        encrypt: false,
      });
      const rows = await adapter.connection.query(
        'SELECT "MJAHR", "N", "ERFMG" FROM "SAPABAP1"."MATDOC" WHERE "MJAHR" = ?',
        ['2026'],
      );
      expect(rows).to.deep.equal([{ MJAHR: '2026', N: '3', ERFMG: '1.000' }]);
      expect(client.calls.filter((c) => c.call === 'execQuery').map((c) => c.connection)).to.deep.equal([1]);
      await adapter.connection.close();
      expect(client.connections[0]!.connected).to.equal(false);
      expect([...client.open]).to.deep.equal([]);
    });

    it('a connect that fails at open rejects openConnection with the mapped error', async () => {
      const client = new FakeHanaClient();
      client.failNextConnect = () => hanaError(414, 'user is forced to change password');
      const error = await rejection(open(client));
      expect(error.retriable).to.equal(false);
      expect(error.message).to.contain('must change its password');
    });

    it('after a lost connection, the failing call is retriable and the next call connects anew', async () => {
      const client = new FakeHanaClient();
      client.script({ match: 'DUMMY', rows: [{ CLOCK: '2026-11-27T19:51:37.123Z' }] });
      const adapter = await open(client);
      await adapter.connection.query(hanaDialect.clockStatement, []);
      client.connections[0]!.breakConnection();
      const error = await rejection(adapter.connection.query(hanaDialect.clockStatement, []));
      expect(error.retriable).to.equal(true);
      expect(error.context).to.include({ reasonCode: -10807 });
      const rows = await adapter.connection.query(hanaDialect.clockStatement, []);
      expect(rows).to.deep.equal([{ CLOCK: '2026-11-27T19:51:37.123Z' }]);
      expect(client.connections).to.have.length(2);
      expect(client.trail().filter((t) => t === 'disconnect')).to.have.length(1);
      await adapter.connection.close();
    });

    it('a refused statement does not drop the connection', async () => {
      const client = new FakeHanaClient();
      client.script({
        match: 'MARD',
        failPrepare: () => hanaError(259, 'invalid table name: MARD'),
        once: true,
      });
      client.script({ match: 'DUMMY', rows: [{ CLOCK: 'x' }] });
      const adapter = await open(client);
      const error = await rejection(adapter.connection.query('SELECT "LABST" FROM "SAPABAP1"."MARD"', []));
      expect(error.retriable).to.equal(false);
      expect(error.message).to.contain('"SAPABAP1"."MARD" does not exist');
      await adapter.connection.query('SELECT 1 AS "CLOCK" FROM DUMMY', []);
      expect(client.connections).to.have.length(1);
      await adapter.connection.close();
    });

    it("the fake refuses a statement run with another number of values than its '?' (as HANA does)", async () => {
      const client = new FakeHanaClient();
      const adapter = await open(client);
      const error = await rejection(
        adapter.connection.query(`SELECT "A" FROM "S"."T" WHERE "A" = ? AND "B" = '?'`, []),
      );
      expect(error.retriable).to.equal(false);
      expect(error.message).to.contain('the statement has 1 parameters, 0 values given');
      await adapter.connection.close();
    });

    it('statements queue: two calls at once run one after the other on the one connection', async () => {
      const client = new FakeHanaClient();
      client.script({ match: 'T', rows: (p) => [{ V: String(p[0]) }] });
      const adapter = await open(client);
      const [a, b] = await Promise.all([
        adapter.connection.query('SELECT "V" FROM "S"."T" WHERE "V" = ?', ['a']),
        adapter.connection.query('SELECT "V" FROM "S"."T" WHERE "V" = ?', ['b']),
      ]);
      expect([a, b]).to.deep.equal([[{ V: 'a' }], [{ V: 'b' }]]);
      const order = client.calls
        .filter((c) => c.call === 'prepare' || c.call === 'execQuery')
        .map((c) => c.call);
      expect(order).to.deep.equal(['prepare', 'execQuery', 'prepare', 'execQuery']);
      await adapter.connection.close();
    });

    it('the cut runs on a connection of its own in one REPEATABLE READ transaction, rolled back and closed after', async () => {
      const client = new FakeHanaClient();
      client.script({ match: 'DUMMY', rows: [{ CLOCK: '2026-11-27T19:51:37.123Z' }] });
      client.script({ match: 'MARD', rows: [{ MATNR: 'M1', LABST: '5.000' }] });
      const adapter = await open(client);
      const result = await adapter.connection.snapshot(async (q) => ({
        clock: await q.query(hanaDialect.clockStatement, []),
        mard: await q.query('SELECT "MATNR", "LABST" FROM "SAPABAP1"."MARD"', []),
      }));
      expect(result).to.deep.equal({
        clock: [{ CLOCK: '2026-11-27T19:51:37.123Z' }],
        mard: [{ MATNR: 'M1', LABST: '5.000' }],
      });
      expect(client.connections).to.have.length(2);
      const cut = client.calls
        .filter((c) => c.connection === 2)
        .map((c) => (c.sql ? `${c.call} ${c.sql}` : c.call));
      expect(cut).to.deep.equal([
        'connect',
        'setClientInfo APPLICATION=stockline-sap-capture',
        `exec ${SNAPSHOT_ISOLATION}`,
        'setAutoCommit(false)',
        `prepare ${hanaDialect.clockStatement}`,
        `execQuery ${hanaDialect.clockStatement}`,
        'prepare SELECT "MATNR", "LABST" FROM "SAPABAP1"."MARD"',
        'execQuery SELECT "MATNR", "LABST" FROM "SAPABAP1"."MARD"',
        'rollback',
        'setAutoCommit(true)',
        'disconnect',
      ]);
      // The polling connection stayed open and in autocommit.
      expect(client.connections[0]!.connected).to.equal(true);
      expect(client.connections[0]!.autoCommit).to.equal(true);
      await adapter.connection.close();
    });

    it('with poolMax 1 the polling connection is closed before the cut, and reopened after', async () => {
      const client = new FakeHanaClient();
      client.script({ match: 'DUMMY', rows: [{ CLOCK: 'x' }] });
      const adapter = await open(client, { poolMax: 1 });
      await adapter.connection.snapshot((q) => q.query('SELECT 1 AS "CLOCK" FROM DUMMY', []));
      expect(client.connections[0]!.connected).to.equal(false);
      expect(client.connections[1]!.connected).to.equal(false);
      await adapter.connection.query('SELECT 1 AS "CLOCK" FROM DUMMY', []);
      expect(client.connections).to.have.length(3);
      expect(client.connections.filter((c) => c.connected)).to.have.length(1);
      await adapter.connection.close();
    });

    it('a cut whose work fails rolls back, closes its connection and raises the failure', async () => {
      const client = new FakeHanaClient();
      client.script({ match: 'MARD', failExecute: () => hanaError(613, 'execution aborted by timeout') });
      const adapter = await open(client);
      const error = await rejection(
        adapter.connection.snapshot((q) => q.query('SELECT "LABST" FROM "SAPABAP1"."MARD"', [])),
      );
      expect(error.retriable).to.equal(true);
      expect(error.context).to.include({ call: 'execQuery', table: '"SAPABAP1"."MARD"', reasonCode: 613 });
      const cut = client.calls.filter((c) => c.connection === 2).map((c) => c.call);
      // A retriable failure counts the connection as broken: rolled back and closed as it is.
      expect(cut.slice(-3)).to.deep.equal(['execQuery', 'rollback', 'disconnect']);
      expect([...client.open]).to.deep.equal([]);
      await adapter.connection.close();
    });

    it('after close, calls are refused and nothing is left open', async () => {
      const client = new FakeHanaClient();
      const adapter = await open(client);
      await adapter.connection.close();
      const error = await rejection(adapter.connection.query('SELECT 1 FROM DUMMY', []));
      expect(error.message).to.contain('the source is closed');
      expect(client.connections.every((c) => !c.connected)).to.equal(true);
    });

    it("logged as the capture logs its failures (pino, { err }), the adapter's errors show no password", async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const log = createLogger({ level: 'info' }, sink);
      const client = new FakeHanaClient();
      client.failNextConnect = () => hanaError(10, 'authentication failed', '28000');
      const refused = await rejection(open(client));
      log.error({ err: refused }, `SAP capture stops: ${refused.message}`);
      const lost = new FakeHanaClient();
      const adapter = await open(lost);
      lost.connections[0]!.breakConnection();
      const broken = await rejection(adapter.connection.query('SELECT 1 FROM DUMMY', []));
      log.warn({ err: broken }, `SAP capture: ${broken.message}`);
      await adapter.connection.close();
      const text = lines.join('');
      expect(text).to.contain('authentication of STOCKLINE_CAPTURE failed');
      expect(text).to.contain('the connection was lost');
      expect(text).not.to.contain(PASSWORD);
    });

    it('no error context or message of the adapter carries the password', async () => {
      const client = new FakeHanaClient();
      client.failNextConnect = () => hanaError(10, 'authentication failed');
      const error = await rejection(open(client));
      expect(JSON.stringify({ message: error.message, context: error.context })).not.to.contain(PASSWORD);
    });
  });

  describe('loading @sap/hana-client', () => {
    it('a loader that fails gives a typed error saying what to install', async () => {
      const error = await rejection(
        openHanaConnection(sap(), {
          load: () => Promise.reject(new Error("Cannot find package '@sap/hana-client'")),
        }),
      );
      expect(error.code).to.equal('STOCKLINE_SAP_FAILED');
      expect(error.retriable).to.equal(false);
      expect(error.message).to.equal(
        `${HANA_INSTALL_HINT} (loading it failed: Cannot find package '@sap/hana-client')`,
      );
      expect(error.message).to.contain('npm install @sap/hana-client');
    });

    it('the configuration is checked before the package is loaded', async () => {
      let loaded = false;
      const error = await rejection(
        openHanaConnection(sap({ password: '' }), {
          load: () => {
            loaded = true;
            return Promise.resolve(new FakeHanaClient());
          },
        }),
      );
      expect(error.code).to.equal('STOCKLINE_CONFIG_INVALID');
      expect(loaded).to.equal(false);
    });

    it('no file of src/sap/hana imports @sap/hana-client statically, not even its types', () => {
      const dir = 'src/sap/hana';
      for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
        const file = path.join(dir, name);
        const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
        const imports = source.statements.filter(
          (s): s is ts.ImportDeclaration =>
            ts.isImportDeclaration(s) && (s.moduleSpecifier as ts.StringLiteral).text.startsWith('@sap/'),
        );
        expect(imports, file).to.have.length(0);
      }
    });

    it('importing the adapter loads nothing of the package', async function () {
      if (!hanaClientInstalled()) this.skip();
      // A fresh process; the check is proven able to see the package by loading it afterwards.
      const script = `
        import { createRequire } from 'node:module';
import net from 'node:net';
        const require = createRequire(process.cwd() + '/');
        const loaded = () => Object.keys(require.cache).filter((p) => p.includes('/node_modules/@sap/hana-client/'));
        await import('./src/sap/hana/source.ts');
        const afterImport = loaded();
        require('@sap/hana-client');
        console.log(JSON.stringify({ afterImport, afterControl: loaded().length }));
      `;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: process.cwd() },
      );
      const seen = JSON.parse(stdout.trim()) as { afterImport: string[]; afterControl: number };
      expect(seen.afterImport).to.deep.equal([]);
      expect(seen.afterControl).to.be.greaterThan(0);
    });

    it('the real package loads here and has every method the adapter calls', async function () {
      if (!hanaClientInstalled()) this.skip();
      const client = await loadHanaClient();
      const connection = client.createConnection() as unknown as Record<string, unknown>;
      for (const method of [
        'connect',
        'setClientInfo',
        'setAutoCommit',
        'prepare',
        'exec',
        'commit',
        'rollback',
        'disconnect',
      ]) {
        expect(typeof connection[method], `Connection.${method}`).to.equal('function');
      }
      const specifier: string = '@sap/hana-client';
      const real = (await import(specifier)) as {
        default: Record<string, { prototype: object }>;
      };
      const members = (name: string) => Object.getOwnPropertyNames(real.default[name]!.prototype);
      // execQuery is put on each statement by lib/index.js over the native execQueryInternal.
      expect(members('Statement')).to.include.members(['execQueryInternal', 'drop']);
      expect(members('ResultSet')).to.include.members([
        'next',
        'nextCanBlock',
        'getValues',
        'getValuesCanBlock',
        'close',
      ]);
    });

    it('the real driver against a closed port: a retriable error with its code -10709, and no password in it', async function () {
      if (!hanaClientInstalled()) this.skip();
      const error = await rejection(openConnection(sap({ host: '127.0.0.1', port: 1 })));
      expect(error.code).to.equal('STOCKLINE_SAP_FAILED');
      expect(error.retriable).to.equal(true);
      expect(error.context).to.include({
        call: 'connect',
        database: '127.0.0.1:1',
        reasonCode: -10709,
        sqlState: 'HY000',
      });
      expect(error.message).to.contain('Connection refused');
      expect(JSON.stringify({ message: error.message, context: error.context })).not.to.contain(PASSWORD);
    });

    it('the real driver against a server that accepts and never answers: the connect timeout ends it, retriable', async function () {
      if (!hanaClientInstalled()) this.skip();
      const sockets: net.Socket[] = [];
      const server = net.createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      try {
        const error = await rejection(
          openHanaConnection(sap({ host: '127.0.0.1', port }), {
            timeouts: { connectMs: 500, communicationMs: 1000 },
          }),
        );
        expect(error.code).to.equal('STOCKLINE_SAP_FAILED');
        expect(error.retriable).to.equal(true);
        expect(error.message).to.contain('connect timeout expired');
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
});
