/**
 * A promise wrapper over one `@sap/hana-client` connection (driver.ts): connect with the `sap`
 * section's settings, stream a query's rows through a prepared statement and its result set,
 * run work in a read snapshot, close. Every driver failure leaves as the port's SapSourceError
 * (errors.ts), retriable or not, naming the call, the server, the statement and the table; after a
 * retriable one the connection is marked broken, and its owner opens a new one.
 *
 * Rows are read with `next()`/`getValues()`: synchronously while the driver has them buffered
 * (`nextCanBlock()` false), asynchronously when it has to fetch from the server, as the
 * package's own extension/Stream.js does (about twice as fast as always asynchronous, and never
 * blocking the event loop on the network).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.js';
import type { SapConnectionOptions } from '../port.js';
import {
  call,
  type HanaClientModule,
  type HanaConnectOptions,
  type HanaConnection,
  type HanaParameter,
  type HanaResultSet,
  type HanaRow,
  type HanaStatement,
} from './driver.js';
import { SapSourceError } from '../errors.js';
import { hanaContext, hanaFailure, type HanaErrorContext } from './errors.js';

/** Timeouts of a connection, in milliseconds. */
export interface HanaTimeouts {
  /** How long the connect may take. */
  connectMs: number;
  /**
   * How long one request waits for HANA's answer (communicationTimeout); it bounds the longest
   * statement too, so it must exceed the slowest read (the opening-stock read of the initial
   * load aggregates MATDOC_EXTRACT).
   */
  communicationMs: number;
}

export const DEFAULT_HANA_TIMEOUTS: HanaTimeouts = Object.freeze({
  connectMs: 30_000,
  communicationMs: 600_000,
});

/** The first statement of a snapshot (SAP HANA SQL reference, SET TRANSACTION). */
export const SNAPSHOT_ISOLATION = 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ';

/** The session variable APPLICATION, which HANA's monitoring views show for the connection. */
export const HANA_APPLICATION_NAME = 'stockline-sap-capture';

/**
 * The connection properties for `connect`, from the `sap` section (as the port hands it over,
 * secrets resolved). `database` non-empty: the tenant database, reached through the system
 * database's SQL port given as `port` (databaseName). TLS on (the default):
 * encrypt and validate the server's certificate, against `sap.tls.caFile` when set (its PEM text
 * is read here, so a missing file stops the start with the key named) or the system's trusted
 * authorities. There is no setting that encrypts without validating.
 */
export function hanaConnectOptions(
  sap: Readonly<SapConnectionOptions>,
  timeouts: HanaTimeouts = DEFAULT_HANA_TIMEOUTS,
  readFile: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): HanaConnectOptions {
  const missing = (['host', 'user'] as const).filter((key) => sap[key] === '');
  if (missing.length > 0) {
    throw new ConfigError(
      `sap.driver is hana: set ${missing.map((k) => `sap.${k}`).join(', ')} (STOCKLINE__SAP__${missing[0]!.toUpperCase()})`,
      { field: missing.map((k) => `sap.${k}`).join(', ') },
    );
  }
  if (sap.password === '') {
    throw new ConfigError(
      'sap.driver is hana: sap.password is empty; give it as a secret file (STOCKLINE__SAP__PASSWORD_FILE=/run/secrets/...) or STOCKLINE__SAP__PASSWORD',
      { field: 'sap.password' },
    );
  }
  const options: HanaConnectOptions = {
    serverNode: `${sap.host}:${sap.port}`,
    uid: sap.user,
    pwd: sap.password,
    encrypt: sap.tls.enabled,
    sslValidateCertificate: sap.tls.enabled,
    communicationTimeout: timeouts.communicationMs,
    connectTimeout: timeouts.connectMs,
  };
  if (sap.database !== '') options.databaseName = sap.database;
  if (sap.tls.caFile !== '') {
    if (!sap.tls.enabled) {
      throw new ConfigError(
        'sap.tls.caFile is set but sap.tls.enabled is false: enable TLS or remove the file',
        {
          field: 'sap.tls.caFile',
        },
      );
    }
    let pem: string;
    try {
      pem = readFile(sap.tls.caFile);
    } catch (error) {
      throw new ConfigError(
        `sap.tls.caFile ${sap.tls.caFile} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        { field: 'sap.tls.caFile', file: sap.tls.caFile },
        error,
      );
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError(
        `sap.tls.caFile ${sap.tls.caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA's certificate in PEM`,
        { field: 'sap.tls.caFile', file: sap.tls.caFile },
      );
    }
    options.sslTrustStore = pem;
    options.sslCryptoProvider = 'openssl';
  }
  return options;
}

/** The connection properties as they may be logged: the password and the CA's text left out. */
export function describeConnectOptions(options: Readonly<HanaConnectOptions>): Record<string, unknown> {
  const { pwd: _pwd, sslTrustStore, ...rest } = options;
  return { ...rest, ...(sslTrustStore !== undefined ? { sslTrustStore: '(PEM from sap.tls.caFile)' } : {}) };
}

/** What a statement is about, for the errors: the table it reads. */
export interface StatementPlace {
  table?: string;
}

/** One connected HANA connection. Not safe for concurrent use: one statement at a time. */
export class HanaSession {
  private broken = false;
  private closed = false;

  private constructor(
    private readonly connection: HanaConnection,
    private readonly where: { database: string; user: string },
  ) {}

  /** Connects; a failure is a SapSourceError, retriable (unreachable) or not (refused login). */
  static async open(client: HanaClientModule, options: HanaConnectOptions): Promise<HanaSession> {
    const where = { database: options.serverNode, user: options.uid };
    let connection: HanaConnection;
    try {
      connection = client.createConnection();
      await call<void>((done) => connection.connect(options, done));
    } catch (error) {
      throw hanaFailure(error, hanaContext(where, 'connect', { settings: describeConnectOptions(options) }));
    }
    const session = new HanaSession(connection, where);
    try {
      connection.setClientInfo('APPLICATION', HANA_APPLICATION_NAME);
    } catch (error) {
      await session.close();
      throw hanaFailure(error, hanaContext(where, 'setClientInfo'));
    }
    return session;
  }

  /** False after a failure that broke the connection (or after close): open a new one. */
  get usable(): boolean {
    return !this.broken && !this.closed;
  }

  /** The rows of `sql`, streamed: prepare, execQuery, then next()/getValues() row by row. */
  async *rows(
    sql: string,
    params: readonly HanaParameter[] = [],
    place: StatementPlace = {},
  ): AsyncGenerator<HanaRow> {
    const statement = await this.guard('prepare', sql, place, () =>
      call<HanaStatement>((done) => this.connection.prepare(sql, done)),
    );
    try {
      const resultSet = await this.guard('execQuery', sql, place, () =>
        call<HanaResultSet>((done) => statement.execQuery(params, done)),
      );
      try {
        while (await this.guard('next', sql, place, () => next(resultSet))) {
          yield await this.guard('getValues', sql, place, () => values(resultSet));
        }
      } finally {
        await this.settle('close', sql, place, () => call<void>((done) => resultSet.close(done)));
      }
    } finally {
      await this.settle('drop', sql, place, () => call<void>((done) => statement.drop(done)));
    }
  }

  /** All rows of `sql` (for small answers: counts, catalog checks, the clock). */
  async all(
    sql: string,
    params: readonly HanaParameter[] = [],
    place: StatementPlace = {},
  ): Promise<HanaRow[]> {
    const result: HanaRow[] = [];
    for await (const row of this.rows(sql, params, place)) result.push(row);
    return result;
  }

  /** A statement whose answer is not read (SET TRANSACTION ...). */
  async execute(
    sql: string,
    params: readonly HanaParameter[] = [],
    place: StatementPlace = {},
  ): Promise<void> {
    await this.guard('exec', sql, place, () =>
      call<unknown>((done) => this.connection.exec(sql, params, done)),
    );
  }

  /**
   * `work` in one read transaction at REPEATABLE READ: HANA gives every statement of such a
   * transaction the snapshot taken when the transaction started (its first statement). The
   * isolation level is set first, in autocommit, then autocommit goes off: SET TRANSACTION
   * changes the connection's behaviour beyond the current transaction (ABAP keyword docs,
   * "Setting Transaction Behavior for SAP HANA"), so the transaction that the reads start is
   * sure to have it, whatever HANA does with a SET inside a running transaction. The flip side:
   * the connection stays at REPEATABLE READ, so call this on a connection of its own and close it
   * after (source.ts does).
   *
   * The transaction is rolled back afterwards, whether `work` succeeded or not (it only reads),
   * and the connection is back in autocommit. A failed rollback is not raised over the work's
   * own result or error, but it marks the connection broken, so that its owner does not use it
   * again.
   */
  async snapshot<T>(work: (session: this) => Promise<T>): Promise<T> {
    await this.execute(SNAPSHOT_ISOLATION);
    await this.guard('setAutoCommit', undefined, {}, () =>
      Promise.resolve(this.connection.setAutoCommit(false)),
    );
    try {
      return await work(this);
    } finally {
      await this.settle('rollback', undefined, {}, () =>
        call<void>((done) => this.connection.rollback(done)),
      );
      if (this.usable) {
        await this.settle('setAutoCommit', undefined, {}, () =>
          Promise.resolve(this.connection.setAutoCommit(true)),
        );
      }
    }
  }

  /** Disconnects; idempotent, never throws (a connection that is gone is closed enough). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await call<void>((done) => this.connection.disconnect(done));
    } catch {
      // The server or the network went away: nothing is left to release on this side.
    }
  }

  private context(callName: string, sql: string | undefined, place: StatementPlace): HanaErrorContext {
    return hanaContext(this.where, callName, {
      ...(sql !== undefined ? { sql } : {}),
      ...(place.table !== undefined ? { table: place.table } : {}),
    });
  }

  /** Runs one driver call; a failure leaves mapped, and a retriable one marks the connection broken. */
  private async guard<T>(
    callName: string,
    sql: string | undefined,
    place: StatementPlace,
    run: () => Promise<T>,
  ): Promise<T> {
    if (this.closed) {
      throw new SapSourceError(
        `SAP HANA ${callName} on ${this.where.database}: the connection is closed`,
        this.context(callName, sql, place),
        { retriable: true },
      );
    }
    try {
      return await run();
    } catch (error) {
      const failure = hanaFailure(error, this.context(callName, sql, place));
      if (failure.retriable) this.broken = true;
      throw failure;
    }
  }

  /** A clean-up call: its failure marks the connection broken but is not raised. */
  private async settle(
    callName: string,
    sql: string | undefined,
    place: StatementPlace,
    run: () => Promise<void>,
  ): Promise<void> {
    try {
      await this.guard(callName, sql, place, run);
    } catch {
      this.broken = true;
    }
  }
}

function next(resultSet: HanaResultSet): Promise<boolean> {
  if (!resultSet.nextCanBlock()) return Promise.resolve(resultSet.next());
  return call<boolean>((done) => resultSet.next(done));
}

function values(resultSet: HanaResultSet): Promise<HanaRow> {
  if (!resultSet.getValuesCanBlock()) return Promise.resolve(resultSet.getValues());
  return call<HanaRow>((done) => resultSet.getValues(done));
}
