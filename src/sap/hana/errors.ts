/**
 * The HANA adapter's errors: a driver error becomes the port's SapSourceError, retriable or not
 * by its numeric `code` (and `sqlState`), with the call, the statement and what it concerned in
 * the context.
 *
 * The server codes come from SAP's list (the monitoring view M_ERROR_CODES, "SQL Error Codes"
 * in the SAP HANA SQL reference); the client reports its own failures with negative codes, its
 * connection and communication failures in -10700..-10899 (-10709 connect failed, -10807
 * connection lost, -10821 session not connected). Only -10709 (a refused connect) was seen on
 * this machine; the others were taken from SAP's documentation and reports, not from a real HANA.
 */
import { StocklineError } from '../../errors.js';
import { SapSourceError, type SapErrorContext } from '../errors.js';
import type { HanaDriverError } from './driver.js';

/**
 * Where a HANA call failed, in the port's error context (driver 'hana', database host:port,
 * call, reasonCode: HANA's error code). Never the password: the context is logged.
 */
export interface HanaErrorContext extends SapErrorContext {
  driver: 'hana';
  /** host:port */
  database: string;
  /** connect, prepare, execQuery, next, getValues, exec, rollback, ... */
  call: string;
  user: string;
  /** The statement, when the call had one. */
  sql?: string;
  /** SCHEMA.TABLE the statement reads, when known. */
  table?: string;
  /** The column HANA names in an invalid-column error. */
  columnName?: string;
  /** A failed connect: the connection properties without the password (TLS, timeouts, tenant). */
  settings?: Record<string, unknown>;
  sqlState?: string;
}

/** The context of a call on `database` as `user`. */
export function hanaContext(
  where: { database: string; user: string },
  call: string,
  extra: Partial<HanaErrorContext> = {},
): HanaErrorContext {
  return { driver: 'hana', database: where.database, user: where.user, call, ...extra };
}

/** Server codes after which a new attempt can succeed. */
const RETRIABLE_CODES = new Map<number, string>([
  [4, 'HANA could not allocate enough memory'],
  [129, 'the transaction was rolled back by an internal error'],
  [131, 'the transaction was rolled back by a lock wait timeout'],
  [133, 'the transaction was rolled back by a detected deadlock'],
  [138, 'the transaction was rolled back: serialization failure'],
  [139, 'the statement was cancelled and its transaction rolled back'],
  [613, 'the statement was aborted by a timeout'],
  // The client's own.
  [-10709, 'the connection failed'],
  [-10807, 'the connection was lost'],
  [-10821, 'the session is not connected'],
  [-10108, 'the session was reconnected and its transaction lost'],
]);

/** The client's connection and communication failures, beyond the ones named above. */
const CLIENT_CONNECTION_CODES = { from: -10899, to: -10700 };

/** Server codes no retry heals, with what the operator does about them. */
const REFUSED_CODES = new Map<number, (c: HanaErrorContext) => string>([
  [
    10,
    (c) =>
      `authentication of ${c.user} failed: check sap.user and the password (STOCKLINE__SAP__PASSWORD_FILE)`,
  ],
  [
    414,
    (c) => `${c.user} must change its password before it can connect: change it in HANA, then the secret`,
  ],
  [415, (c) => `${c.user} is deactivated in HANA: a user administrator activates it`],
  [416, (c) => `${c.user} is locked in HANA (too many failed logons?): a user administrator unlocks it`],
  [
    258,
    (c) =>
      `${c.user} lacks a privilege${c.table ? ` on ${c.table}` : ''}: grant it SELECT on ${c.table ?? 'the captured tables'} (the capture needs SELECT only)`,
  ],
  [362, (c) => `the schema does not exist${c.table ? ` (reading ${c.table})` : ''}: check sap.schema`],
  [
    259,
    (c) =>
      `${c.table ?? 'a table'} does not exist or ${c.user} cannot see it: check sap.schema and sap.tables`,
  ],
  [
    260,
    (c) =>
      `${c.table ?? 'the table'} has no column ${c.columnName ?? '(see the message)'}, which the capture reads: check that the table is the S/4HANA one`,
  ],
  [
    257,
    () => 'HANA does not accept the statement (syntax): a bug in the adapter, report it with the statement',
  ],
]);

function numericCode(error: HanaDriverError): number | undefined {
  const { code } = error;
  if (typeof code === 'number') return code;
  if (typeof code === 'string' && /^-?\d+$/.test(code)) return Number(code);
  return undefined;
}

/** `invalid column name: CPUDT_MKPF: line 1 col 8 (at pos 7)` → CPUDT_MKPF. */
function columnOf(message: string): string | undefined {
  return /invalid column name:\s*(?:"?[\w/]+"?\.)*"?([\w/]+)"?/i.exec(message)?.[1];
}

function isDriverError(error: unknown): error is HanaDriverError {
  return error instanceof Error;
}

/**
 * A driver failure as the port's error (SapSourceError, STOCKLINE_SAP_FAILED), retriable or not
 * by HANA's code: lost connections, timeouts, lock waits and deadlocks are; authentication,
 * privileges, missing objects and SQL errors are not, and their message says what to fix. A
 * StocklineError passes through unchanged (it was mapped already). Unknown codes are not
 * retriable: the capture stops and shows the message rather than loop on something it does not
 * understand; connection-class SQLSTATEs (08xxx) and transaction rollbacks (40xxx) are retriable
 * whatever the code.
 */
export function hanaFailure(error: unknown, context: HanaErrorContext): StocklineError {
  if (error instanceof StocklineError) return error;
  const driverError: HanaDriverError = isDriverError(error) ? error : new Error(String(error));
  const message = driverError.message;
  const hanaCode = numericCode(driverError);
  const sqlState = typeof driverError.sqlState === 'string' ? driverError.sqlState : undefined;
  const column = hanaCode === 260 ? columnOf(message) : undefined;
  const full: HanaErrorContext = {
    ...context,
    ...(hanaCode !== undefined ? { reasonCode: hanaCode } : {}),
    ...(sqlState !== undefined ? { sqlState } : {}),
    ...(column !== undefined ? { columnName: column } : {}),
  };
  const where = `SAP HANA ${context.call} on ${context.database}${context.table ? ` (${context.table})` : ''}`;
  const codeText = hanaCode !== undefined ? ` [${hanaCode}${sqlState ? `, SQLSTATE ${sqlState}` : ''}]` : '';
  if (hanaCode !== undefined) {
    const transient = RETRIABLE_CODES.get(hanaCode);
    if (transient !== undefined) {
      return new SapSourceError(`${where}: ${transient}: ${message}${codeText}`, full, {
        retriable: true,
        cause: error,
      });
    }
    if (hanaCode >= CLIENT_CONNECTION_CODES.from && hanaCode <= CLIENT_CONNECTION_CODES.to) {
      return new SapSourceError(`${where}: the connection failed: ${message}${codeText}`, full, {
        retriable: true,
        cause: error,
      });
    }
    const advice = REFUSED_CODES.get(hanaCode);
    if (advice !== undefined) {
      return new SapSourceError(`${where} refused: ${advice(full)}: ${message}${codeText}`, full, {
        retriable: false,
        cause: error,
      });
    }
  }
  if (sqlState !== undefined && (sqlState.startsWith('08') || sqlState.startsWith('40'))) {
    return new SapSourceError(`${where} failed: ${message}${codeText}`, full, {
      retriable: true,
      cause: error,
    });
  }
  return new SapSourceError(`${where} failed: ${message}${codeText}`, full, {
    retriable: false,
    cause: error,
  });
}
