/**
 * A fake of the `@sap/hana-client` surface the HANA adapter uses (src/sap/hana/driver.ts),
 * injected through the adapter's loader. It lives under test/ so that the product can never
 * load it. It runs no SQL: a test scripts the answer of each statement (rows, or an error), and
 * the fake records what the adapter did, so that tests assert the connection properties, each
 * statement's text and parameters, the order of calls (autocommit, SET TRANSACTION, commit,
 * rollback) and that every result set and statement was closed.
 *
 * What it models of the driver:
 * - callbacks run later (setImmediate), with `undefined` as the error on success;
 * - errors shaped like the driver's: an Error with a numeric `code` and a `sqlState`
 *   (`hanaError`), e.g. what a refused connect gives on this machine: -10709, HY000;
 * - a result set that fetches `rowSetSize` rows at a time: `nextCanBlock()` is true exactly when
 *   the next row needs a fetch (then a synchronous `next()` is refused, as it would block), and
 *   a scripted failure can hit such a fetch (`failFetchAfter`);
 * - a connection that is unusable after `breakConnection()` (every call fails with -10807) and
 *   after disconnect;
 * - positional parameters: executing a statement with another number of values than it has
 *   `?` placeholders (outside quotes) fails, as HANA refuses it.
 * Not modelled: SQL itself, types of values (rows are returned as scripted), LOBs, pooling.
 */
import type {
  HanaClientModule,
  HanaConnectOptions,
  HanaConnection,
  HanaDone,
  HanaParameter,
  HanaResult,
  HanaResultSet,
  HanaRow,
  HanaStatement,
} from '../../src/sap/hana/driver.js';

/** An error as the driver raises it. */
export function hanaError(
  code: number,
  message: string,
  sqlState = 'HY000',
): Error & { code: number; sqlState: string } {
  return Object.assign(new Error(message), { code, sqlState });
}

/** What a refused TCP connect gives, as seen from @sap/hana-client 2.30.27 on this machine. */
export const CONNECT_REFUSED = (): Error =>
  hanaError(
    -10709,
    "Connection failed (RTE:[89006] System call 'connect' failed, rc=111:Connection refused {127.0.0.1:1} (127.0.0.1:1))",
  );

type Matcher = string | RegExp | ((sql: string) => boolean);

function matches(matcher: Matcher, sql: string): boolean {
  if (typeof matcher === 'string') return sql.includes(matcher);
  if (matcher instanceof RegExp) return matcher.test(sql);
  return matcher(sql);
}

/** The scripted answer of a query: rows (or rows from its parameters), or an error at a step. */
export interface Script {
  match: Matcher;
  rows?: HanaRow[] | ((params: readonly HanaParameter[]) => HanaRow[]);
  /** Fail the prepare (a syntax error, a missing table or column is raised there by HANA). */
  failPrepare?: () => Error;
  /** Fail the execution. */
  failExecute?: () => Error;
  /** Fail the fetch that would deliver the row at this index (0-based). */
  failFetchAfter?: { rows: number; error: () => Error };
  /** Used once, then removed (a transient failure). */
  once?: boolean;
}

/** One call the adapter made, in order, on any connection of the client. */
export interface FakeCall {
  connection: number;
  call: string;
  sql?: string;
  params?: readonly HanaParameter[];
  /** The connection's autocommit at the time of the call. */
  autoCommit: boolean;
}

export class FakeHanaClient implements HanaClientModule {
  readonly connections: FakeHanaConnection[] = [];
  readonly calls: FakeCall[] = [];
  readonly scripts: Script[] = [];
  /** Rows a result set holds after one fetch. */
  rowSetSize = 2;
  /** A failure the next connect raises, once. */
  failNextConnect: (() => Error) | undefined;
  /** Statements with a result set or statement handle still open. */
  readonly open = new Set<string>();
  /** How often result sets' next() was called synchronously and asynchronously. */
  readonly nextCalls = { sync: 0, async: 0 };

  createConnection(): HanaConnection {
    const connection = new FakeHanaConnection(this, this.connections.length + 1);
    this.connections.push(connection);
    return connection;
  }

  /** Scripts the answer of the statements `match` selects; the latest script wins. */
  script(script: Script): this {
    this.scripts.unshift(script);
    return this;
  }

  /** The statements run, in order, as [sql, params]. */
  statements(): Array<{ sql: string; params: readonly HanaParameter[] }> {
    return this.calls
      .filter((c) => c.call === 'execQuery' || c.call === 'exec')
      .map((c) => ({ sql: c.sql ?? '', params: c.params ?? [] }));
  }

  /** The calls, as short strings: 'connect', 'exec SET TRANSACTION ...', 'commit', ... */
  trail(): string[] {
    return this.calls.map((c) => (c.sql !== undefined ? `${c.call} ${c.sql}` : c.call));
  }

  /** @internal */
  answer(sql: string): Script | undefined {
    const index = this.scripts.findIndex((s) => matches(s.match, sql));
    if (index < 0) return undefined;
    const found = this.scripts[index]!;
    if (found.once === true) this.scripts.splice(index, 1);
    return found;
  }
}

/** The `?` placeholders of a statement, outside '...' literals and "..." identifiers. */
export function placeholders(sql: string): number {
  let count = 0;
  let quote: string | undefined;
  for (const char of sql) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '?') count++;
  }
  return count;
}

function later(run: () => void): void {
  setImmediate(run);
}

export class FakeHanaConnection implements HanaConnection {
  options: HanaConnectOptions | undefined;
  autoCommit = true;
  connected = false;
  broken = false;
  readonly clientInfo = new Map<string, string>();
  private statementCount = 0;

  constructor(
    private readonly client: FakeHanaClient,
    readonly id: number,
  ) {}

  /** From now on every call fails as a lost connection does. */
  breakConnection(): void {
    this.broken = true;
  }

  private record(call: string, sql?: string, params?: readonly HanaParameter[]): void {
    this.client.calls.push({
      connection: this.id,
      call,
      ...(sql !== undefined ? { sql } : {}),
      ...(params !== undefined ? { params: [...params] } : {}),
      autoCommit: this.autoCommit,
    });
  }

  /** @internal the failure every call on a connection that is not usable gets. */
  unusable(): Error | undefined {
    if (this.broken)
      return hanaError(-10807, 'Connection lost (RTE:[89008] Socket closed by peer {10.0.0.5:30015})');
    if (!this.connected) return hanaError(-10821, 'Session not connected');
    return undefined;
  }

  connect(options: HanaConnectOptions, callback: HanaDone): void {
    this.options = { ...options };
    this.record('connect');
    const failure = this.client.failNextConnect;
    this.client.failNextConnect = undefined;
    later(() => {
      if (failure) return callback(failure());
      this.connected = true;
      callback(undefined);
    });
  }

  setClientInfo(key: string, value: string): void {
    this.record(`setClientInfo ${key}=${value}`);
    this.clientInfo.set(key, value);
  }

  setAutoCommit(flag: boolean): void {
    const failure = this.unusable();
    this.record(`setAutoCommit(${flag})`);
    if (failure) throw failure;
    this.autoCommit = flag;
  }

  prepare(sql: string, callback: HanaResult<HanaStatement>): void {
    this.record('prepare', sql);
    const failure = this.unusable();
    const script = this.client.answer(sql);
    later(() => {
      if (failure) return callback(failure);
      if (script?.failPrepare) return callback(script.failPrepare());
      const name = `${this.id}.${++this.statementCount} ${sql}`;
      this.client.open.add(`statement ${name}`);
      callback(undefined, new FakeStatement(this.client, this, name, sql, script));
    });
  }

  exec(sql: string, params: readonly HanaParameter[], callback: HanaResult<unknown>): void {
    this.record('exec', sql, params);
    const failure = this.unusable();
    const script = this.client.answer(sql);
    later(() => {
      if (failure) return callback(failure);
      if (script?.failExecute) return callback(script.failExecute());
      callback(undefined, undefined);
    });
  }

  commit(callback: HanaDone): void {
    this.record('commit');
    const failure = this.unusable();
    later(() => callback(failure));
  }

  rollback(callback: HanaDone): void {
    this.record('rollback');
    const failure = this.unusable();
    later(() => callback(failure));
  }

  disconnect(callback: HanaDone): void {
    this.record('disconnect');
    this.connected = false;
    later(() => callback(undefined));
  }
}

class FakeStatement implements HanaStatement {
  constructor(
    private readonly client: FakeHanaClient,
    private readonly connection: FakeHanaConnection,
    private readonly name: string,
    private readonly sql: string,
    private readonly script: Script | undefined,
  ) {}

  execQuery(params: readonly HanaParameter[], callback: HanaResult<HanaResultSet>): void {
    this.client.calls.push({
      connection: this.connection.id,
      call: 'execQuery',
      sql: this.sql,
      params: [...params],
      autoCommit: this.connection.autoCommit,
    });
    const failure = this.connection.unusable();
    const expected = placeholders(this.sql);
    later(() => {
      if (failure) return callback(failure);
      if (params.length !== expected) {
        return callback(
          hanaError(-20002, `fake: the statement has ${expected} parameters, ${params.length} values given`),
        );
      }
      if (this.script?.failExecute) return callback(this.script.failExecute());
      const rows = this.script?.rows;
      const all = typeof rows === 'function' ? rows(params) : (rows ?? []);
      this.client.open.add(`resultSet ${this.name}`);
      callback(
        undefined,
        new FakeResultSet(this.client, this.connection, this.name, all, this.script?.failFetchAfter),
      );
    });
  }

  drop(callback: HanaDone): void {
    this.client.open.delete(`statement ${this.name}`);
    later(() => callback(undefined));
  }
}

class FakeResultSet implements HanaResultSet {
  private position = -1;
  /** Rows fetched so far (the driver's buffer ends here). */
  private fetched = 0;
  private closed = false;

  constructor(
    private readonly client: FakeHanaClient,
    private readonly connection: FakeHanaConnection,
    private readonly name: string,
    private readonly rows: HanaRow[],
    private readonly failFetch: Script['failFetchAfter'],
  ) {}

  nextCanBlock(): boolean {
    return this.position + 1 >= this.fetched && this.fetched < this.rows.length;
  }

  next(): boolean;
  next(callback: HanaResult<boolean>): void;
  next(callback?: HanaResult<boolean>): boolean | void {
    if (callback === undefined) {
      this.client.nextCalls.sync++;
      if (this.nextCanBlock())
        throw new Error('fake: a synchronous next() that needs a fetch would block the event loop');
      return this.advance();
    }
    this.client.nextCalls.async++;
    later(() => {
      try {
        callback(undefined, this.advance());
      } catch (error) {
        callback(error as Error);
      }
    });
  }

  private advance(): boolean {
    if (this.closed) throw hanaError(-10601, 'Result set is closed');
    const failure = this.connection.unusable();
    if (failure) throw failure;
    if (this.position + 1 >= this.fetched && this.fetched < this.rows.length) {
      if (this.failFetch !== undefined && this.position + 1 >= this.failFetch.rows)
        throw this.failFetch.error();
      this.fetched = Math.min(this.rows.length, this.fetched + this.client.rowSetSize);
    }
    this.position++;
    return this.position < this.rows.length;
  }

  getValuesCanBlock(): boolean {
    return false;
  }

  getValues(): HanaRow;
  getValues(callback: HanaResult<HanaRow>): void;
  getValues(callback?: HanaResult<HanaRow>): HanaRow | void {
    const row = this.rows[this.position];
    if (row === undefined) throw new Error('fake: getValues() outside the rows');
    if (callback === undefined) return { ...row };
    later(() => callback(undefined, { ...row }));
  }

  close(callback: HanaDone): void {
    this.closed = true;
    this.client.open.delete(`resultSet ${this.name}`);
    later(() => callback(undefined));
  }
}
