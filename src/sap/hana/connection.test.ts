import { expect } from 'chai';
import { ConfigError } from '../../errors.js';
import { CONNECT_REFUSED, FakeHanaClient, hanaError } from '../../../test/support/hana-fake.js';
import type { SapConnectionOptions } from '../port.js';
import {
  DEFAULT_HANA_TIMEOUTS,
  HANA_APPLICATION_NAME,
  HanaSession,
  SNAPSHOT_ISOLATION,
  describeConnectOptions,
  hanaConnectOptions,
} from './connection.js';
import type { HanaConnectOptions } from './driver.js';

const PASSWORD = 'S3cret-Hana-Pw!';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function sap(overrides: Partial<SapConnectionOptions> = {}): SapConnectionOptions {
  return {
    host: 'hana.example',
    port: 30015,
    user: 'STOCKLINE_CAPTURE',
    password: PASSWORD,
    database: '',
    tls: { enabled: true, caFile: '' },
    poolMax: 2,
    ...overrides,
  };
}

function refusal(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; retriable?: boolean; context?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const noFile = (file: string): string => {
  throw new Error(`ENOENT: no such file or directory, open '${file}'`);
};

describe('HANA connection (src/sap/hana/connection.ts)', () => {
  describe('connection properties from the sap section', () => {
    it('TLS on (the default): encrypt and validate against the system trust, with both timeouts', () => {
      expect(hanaConnectOptions(sap(), DEFAULT_HANA_TIMEOUTS, noFile)).to.deep.equal({
        serverNode: 'hana.example:30015',
        uid: 'STOCKLINE_CAPTURE',
        pwd: PASSWORD,
        encrypt: true,
        sslValidateCertificate: true,
        communicationTimeout: DEFAULT_HANA_TIMEOUTS.communicationMs,
        connectTimeout: DEFAULT_HANA_TIMEOUTS.connectMs,
      });
    });

    it('TLS off: neither encrypt nor validate', () => {
      const options = hanaConnectOptions(
        sap({ tls: { enabled: false, caFile: '' } }),
        DEFAULT_HANA_TIMEOUTS,
        noFile,
      );
      expect(options.encrypt).to.equal(false);
      expect(options.sslValidateCertificate).to.equal(false);
      expect(options).not.to.have.property('sslTrustStore');
    });

    it('a CA file: its PEM text becomes the trust store (OpenSSL), read from the file named', () => {
      const read: string[] = [];
      const options = hanaConnectOptions(
        sap({ tls: { enabled: true, caFile: '/run/secrets/hana-ca.pem' } }),
        DEFAULT_HANA_TIMEOUTS,
        (f) => {
          read.push(f);
          return PEM;
        },
      );
      expect(read).to.deep.equal(['/run/secrets/hana-ca.pem']);
      expect(options.sslTrustStore).to.equal(PEM);
      expect(options.sslCryptoProvider).to.equal('openssl');
      expect(options.sslValidateCertificate).to.equal(true);
    });

    it('a CA file that cannot be read, holds no certificate, or comes without TLS is refused with the key', () => {
      const missing = refusal(() =>
        hanaConnectOptions(
          sap({ tls: { enabled: true, caFile: '/nope/ca.pem' } }),
          DEFAULT_HANA_TIMEOUTS,
          noFile,
        ),
      );
      expect(missing.message).to.contain('sap.tls.caFile /nope/ca.pem cannot be read: ENOENT');
      expect(missing.context.field).to.equal('sap.tls.caFile');
      const notPem = refusal(() =>
        hanaConnectOptions(
          sap({ tls: { enabled: true, caFile: '/x/ca.der' } }),
          DEFAULT_HANA_TIMEOUTS,
          () => '0\x82\x03',
        ),
      );
      expect(notPem.message).to.contain('holds no PEM certificate');
      const off = refusal(() =>
        hanaConnectOptions(
          sap({ tls: { enabled: false, caFile: '/x/ca.pem' } }),
          DEFAULT_HANA_TIMEOUTS,
          () => PEM,
        ),
      );
      expect(off.message).to.contain('sap.tls.enabled is false');
    });

    it('a tenant database name becomes databaseName (the system database redirects)', () => {
      expect(
        hanaConnectOptions(sap({ database: 'S4P' }), DEFAULT_HANA_TIMEOUTS, noFile).databaseName,
      ).to.equal('S4P');
    });

    it('no host, user or password: refused, naming the key and the secret variable, never a value', () => {
      expect(refusal(() => hanaConnectOptions(sap({ host: '' }))).message).to.contain('sap.host');
      expect(refusal(() => hanaConnectOptions(sap({ user: '' }))).message).to.contain('sap.user');
      const password = refusal(() => hanaConnectOptions(sap({ password: '' })));
      expect(password.message).to.contain('STOCKLINE__SAP__PASSWORD_FILE');
      expect(password.context.field).to.equal('sap.password');
    });

    it('the loggable description leaves out the password and the CA text', () => {
      const options = hanaConnectOptions(
        sap({ tls: { enabled: true, caFile: '/ca.pem' } }),
        DEFAULT_HANA_TIMEOUTS,
        () => PEM,
      );
      const described = JSON.stringify(describeConnectOptions(options));
      expect(described).not.to.contain(PASSWORD);
      expect(described).not.to.contain('BEGIN CERTIFICATE');
      expect(described).to.contain('hana.example:30015');
      expect(described).to.contain('STOCKLINE_CAPTURE');
    });
  });

  describe('a session on the fake driver', () => {
    const options: HanaConnectOptions = hanaConnectOptions(sap(), DEFAULT_HANA_TIMEOUTS, noFile);

    it('connects with the properties given and names itself APPLICATION', async () => {
      const client = new FakeHanaClient();
      const session = await HanaSession.open(client, options);
      expect(client.connections).to.have.length(1);
      expect(client.connections[0]!.options).to.deep.equal(options);
      expect(client.connections[0]!.clientInfo.get('APPLICATION')).to.equal(HANA_APPLICATION_NAME);
      expect(session.usable).to.equal(true);
      await session.close();
      expect(client.trail().at(-1)).to.equal('disconnect');
      expect(session.usable).to.equal(false);
    });

    it('a refused connect is retriable, names the server and the driver code, and carries no password', async () => {
      const client = new FakeHanaClient();
      client.failNextConnect = CONNECT_REFUSED;
      const error = await rejection(HanaSession.open(client, options));
      expect(error.retriable).to.equal(true);
      expect(error.message).to.contain('SAP HANA connect on hana.example:30015');
      expect(error.message).to.contain('[-10709, SQLSTATE HY000]');
      expect(error.context).to.include({
        database: 'hana.example:30015',
        user: 'STOCKLINE_CAPTURE',
        call: 'connect',
        reasonCode: -10709,
      });
      expect(error.context?.settings).to.deep.equal(describeConnectOptions(options));
      expect(JSON.stringify({ message: error.message, context: error.context })).not.to.contain(PASSWORD);
    });

    it('a wrong password is not retriable and says which secret to check', async () => {
      const client = new FakeHanaClient();
      client.failNextConnect = () => hanaError(10, 'authentication failed', '28000');
      const error = await rejection(HanaSession.open(client, options));
      expect(error.retriable).to.equal(false);
      expect(error.message).to.contain('authentication of STOCKLINE_CAPTURE failed');
      expect(error.message).to.contain('STOCKLINE__SAP__PASSWORD_FILE');
    });

    it('streams rows through prepare, execQuery and next()/getValues(), fetching asynchronously only when the buffer is empty', async () => {
      const client = new FakeHanaClient();
      client.rowSetSize = 2;
      const rows = [1, 2, 3, 4, 5].map((n) => ({ MBLNR: `490000000${n}`, ERFMG: `${n}.000` }));
      client.script({ match: 'FROM "SAPABAP1"."MATDOC"', rows });
      const session = await HanaSession.open(client, options);
      const seen = [];
      const sql = 'SELECT "MBLNR", "ERFMG" FROM "SAPABAP1"."MATDOC" WHERE "MJAHR" = ?';
      for await (const row of session.rows(sql, ['2026'])) seen.push(row);
      expect(seen).to.deep.equal(rows);
      // Fetches before rows 1, 3 and 5 (3 async), the other 2 rows and the end from the buffer.
      expect(client.nextCalls).to.deep.equal({ async: 3, sync: 3 });
      expect(client.statements()).to.deep.equal([{ sql, params: ['2026'] }]);
      expect(client.trail().slice(-2)).to.deep.equal([`prepare ${sql}`, `execQuery ${sql}`]);
      expect([...client.open]).to.deep.equal([]);
      await session.close();
    });

    it('a consumer that stops early still closes the result set and drops the statement', async () => {
      const client = new FakeHanaClient();
      client.script({ match: 'MATDOC', rows: [{ A: '1' }, { A: '2' }, { A: '3' }] });
      const session = await HanaSession.open(client, options);
      for await (const row of session.rows('SELECT "A" FROM "S"."MATDOC"')) {
        expect(row).to.deep.equal({ A: '1' });
        break;
      }
      expect([...client.open]).to.deep.equal([]);
      await session.close();
    });

    it('a failure in the middle of a fetch closes everything, is mapped, and breaks the session when retriable', async () => {
      const client = new FakeHanaClient();
      client.script({
        match: 'MATDOC',
        rows: [{ A: '1' }, { A: '2' }, { A: '3' }],
        failFetchAfter: {
          rows: 2,
          error: () => hanaError(-10807, 'Connection lost (RTE:[89008] Socket closed by peer)'),
        },
      });
      const session = await HanaSession.open(client, options);
      const seen: unknown[] = [];
      const error = await rejection(
        (async () => {
          for await (const row of session.rows('SELECT "A" FROM "SAPABAP1"."MATDOC"', [], {
            table: 'SAPABAP1.MATDOC',
          }))
            seen.push(row);
        })(),
      );
      expect(seen).to.have.length(2);
      expect(error.retriable).to.equal(true);
      expect(error.context).to.include({ call: 'next', table: 'SAPABAP1.MATDOC', reasonCode: -10807 });
      expect(error.context?.sql).to.equal('SELECT "A" FROM "SAPABAP1"."MATDOC"');
      expect([...client.open]).to.deep.equal([]);
      expect(session.usable).to.equal(false);
      await session.close();
    });

    it('a missing privilege at prepare is not retriable, names the table and keeps the session usable', async () => {
      const client = new FakeHanaClient();
      client.script({
        match: 'MATDOC',
        failPrepare: () =>
          hanaError(
            258,
            'insufficient privilege: Detailed info for this error can be found with guid 12AB',
            '42000',
          ),
      });
      const session = await HanaSession.open(client, options);
      const error = await rejection(
        session.all('SELECT "A" FROM "SAPABAP1"."MATDOC"', [], { table: 'SAPABAP1.MATDOC' }),
      );
      expect(error.retriable).to.equal(false);
      expect(error.message).to.contain('STOCKLINE_CAPTURE lacks a privilege on SAPABAP1.MATDOC');
      expect(error.message).to.contain('grant it SELECT on SAPABAP1.MATDOC');
      expect(session.usable).to.equal(true);
      await session.close();
    });

    it('a snapshot: REPEATABLE READ set first, autocommit off, the work, then rollback and autocommit on again', async () => {
      const client = new FakeHanaClient();
      client.script({ match: 'DUMMY', rows: [{ CLOCK: '2026-11-27T19:51:37.123Z' }] });
      const session = await HanaSession.open(client, options);
      const before = client.calls.length;
      const clock = await session.snapshot(async (s) => (await s.all('SELECT 1 AS "CLOCK" FROM DUMMY'))[0]);
      expect(clock).to.deep.equal({ CLOCK: '2026-11-27T19:51:37.123Z' });
      const during = client.calls.slice(before);
      expect(during.map((c) => (c.sql ? `${c.call} ${c.sql}` : c.call))).to.deep.equal([
        `exec ${SNAPSHOT_ISOLATION}`,
        'setAutoCommit(false)',
        'prepare SELECT 1 AS "CLOCK" FROM DUMMY',
        'execQuery SELECT 1 AS "CLOCK" FROM DUMMY',
        'rollback',
        'setAutoCommit(true)',
      ]);
      // The isolation is set before the transaction; every read ran outside autocommit, in the one transaction.
      expect(during.filter((c) => c.call === 'exec').every((c) => c.autoCommit)).to.equal(true);
      expect(during.filter((c) => c.call === 'execQuery').every((c) => !c.autoCommit)).to.equal(true);
      expect(client.trail().filter((t) => t === 'commit')).to.deep.equal([]);
      await session.close();
    });

    it("a snapshot whose work fails rolls back and raises the work's own error", async () => {
      const client = new FakeHanaClient();
      const session = await HanaSession.open(client, options);
      const error = await rejection(session.snapshot(() => Promise.reject(new Error('the capture gave up'))));
      expect(error.message).to.equal('the capture gave up');
      expect(client.trail().slice(-2)).to.deep.equal(['rollback', 'setAutoCommit(true)']);
      expect(session.usable).to.equal(true);
      await session.close();
    });

    it('a snapshot whose connection is lost raises the loss, retriable, and leaves the session broken', async () => {
      const client = new FakeHanaClient();
      const session = await HanaSession.open(client, options);
      const error = await rejection(
        session.snapshot(async (s) => {
          client.connections[0]!.breakConnection();
          return s.all('SELECT "A" FROM "SAPABAP1"."MARD"');
        }),
      );
      expect(error.retriable).to.equal(true);
      expect(error.context).to.include({ call: 'prepare', reasonCode: -10807 });
      expect(client.trail().at(-1)).to.equal('rollback');
      expect(session.usable).to.equal(false);
      await session.close();
    });

    it('a closed session refuses calls with a retriable error', async () => {
      const client = new FakeHanaClient();
      const session = await HanaSession.open(client, options);
      await session.close();
      const error = await rejection(session.all('SELECT 1 FROM DUMMY'));
      expect(error.retriable).to.equal(true);
      expect(error.message).to.contain('the connection is closed');
    });
  });
});
