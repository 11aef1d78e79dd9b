/**
 * The part of `@sap/hana-client` (SAP's HANA driver for Node, npm `@sap/hana-client` 2.30) that
 * the HANA adapter of the SAP source port uses, described structurally so that two things can
 * provide it: the real package, loaded lazily by `loadHanaClient` only when `sap.driver` is hana,
 * and the fake the unit tests inject (test/support/hana-fake.ts).
 *
 * Names, argument order and callback conventions follow the package (lib/index.d.ts,
 * extension/Stream.js of 2.30.27): callbacks receive `undefined` as the error on success; errors
 * carry a numeric `code` and a `sqlState` (seen on this machine: a refused connection gives
 * code -10709, sqlState HY000). Only the callback forms are used: the synchronous forms of
 * prepare/exec/commit block the event loop for a round trip to the server.
 *
 * Members are declared as methods on purpose: TypeScript compares method parameters
 * bivariantly, so the package's classes fit these narrower shapes.
 */

/** A value bound to a `?` placeholder. */
export type HanaParameter = string | number | boolean | null;

/** A row as `getValues()` returns it: column name (or alias) → value. */
export type HanaRow = Record<string, unknown>;

/** What the driver's errors carry beyond `message`; both may be missing on other failures. */
export interface HanaDriverError extends Error {
  code?: number | string;
  sqlState?: string;
}

export type HanaDone = (error: Error | undefined | null) => void;
export type HanaResult<T> = (error: Error | undefined | null, result?: T) => void;

/**
 * Connection properties of `connect` (SAP HANA client interface reference, "Connection
 * Properties"). Booleans are accepted as they are; `sslTrustStore` takes a file path or the PEM
 * text itself (OpenSSL provider).
 */
export interface HanaConnectOptions {
  /** host:port of the SQL port of the tenant (or of the system database). */
  serverNode: string;
  uid: string;
  pwd: string;
  /** The tenant database to be redirected to, when serverNode is the system database's port. */
  databaseName?: string;
  encrypt: boolean;
  sslValidateCertificate: boolean;
  /** PEM text of the trusted certificate authorities; absent: the system's trusted ones. */
  sslTrustStore?: string;
  sslCryptoProvider?: 'openssl';
  /**
   * Milliseconds a request waits for the server's answer before the connection is given up
   * (the driver's default, 0, waits for the operating system's TCP timeout, minutes).
   */
  communicationTimeout: number;
  /** Milliseconds the connect itself may take. */
  connectTimeout: number;
}

/** A result set, positioned before its first row. */
export interface HanaResultSet {
  /** Whether `next()` has to ask the server for rows (then the adapter calls it asynchronously). */
  nextCanBlock(): boolean;
  next(): boolean;
  next(callback: HanaResult<boolean>): void;
  /** Whether `getValues()` has to fetch (a LOB): then the adapter calls it asynchronously. */
  getValuesCanBlock(): boolean;
  getValues(): HanaRow;
  getValues(callback: HanaResult<HanaRow>): void;
  close(callback: HanaDone): void;
}

export interface HanaStatement {
  execQuery(params: readonly HanaParameter[], callback: HanaResult<HanaResultSet>): void;
  drop(callback: HanaDone): void;
}

export interface HanaConnection {
  connect(options: HanaConnectOptions, callback: HanaDone): void;
  /** A session variable that HANA shows in M_CONNECTIONS / M_SESSION_CONTEXT (APPLICATION). */
  setClientInfo(key: string, value: string): void;
  setAutoCommit(flag: boolean): void;
  prepare(sql: string, callback: HanaResult<HanaStatement>): void;
  /** A statement that returns no rows the adapter reads (SET TRANSACTION ...). */
  exec(sql: string, params: readonly HanaParameter[], callback: HanaResult<unknown>): void;
  commit(callback: HanaDone): void;
  rollback(callback: HanaDone): void;
  disconnect(callback: HanaDone): void;
}

/** The package's module: `createConnection()` makes a connection object, not yet connected. */
export interface HanaClientModule {
  createConnection(): HanaConnection;
}

export type HanaClientLoader = () => Promise<HanaClientModule>;

/** What to do when `@sap/hana-client` cannot be loaded: the text of the error, tested word for word. */
export const HANA_INSTALL_HINT =
  'sap.driver is hana, but the @sap/hana-client package cannot be loaded. It is an optional ' +
  'dependency of stockline: install it with `npm install @sap/hana-client` (it ships prebuilt ' +
  'binaries for Linux x86_64/aarch64/ppc64le, Alpine, macOS and Windows; on another platform ' +
  'there is none), or set sap.driver to postgres for the stand-in';

/**
 * `@sap/hana-client` is an optional dependency: its name sits in a variable so that neither the
 * type check nor the loading of this module needs the package (like `ibmmq` in
 * src/mq/ibmmq-transport.ts).
 */
const HANA_CLIENT_PACKAGE = '@sap/hana-client';

export async function loadHanaClient(): Promise<HanaClientModule> {
  // A CommonJS package seen from ESM: `default` is its module.exports, the most reliable view.
  const namespace = (await import(HANA_CLIENT_PACKAGE)) as HanaClientModule & { default?: HanaClientModule };
  return namespace.default ?? namespace;
}

/** Calls a callback-style method and settles with what its callback gets. */
export function call<T>(start: (callback: HanaResult<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, result) => {
      if (error !== undefined && error !== null) reject(error);
      else resolve(result as T);
    });
  });
}
