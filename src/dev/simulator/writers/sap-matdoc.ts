import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import pRetry, { AbortError } from 'p-retry';
import { multiRowInsert } from '../../samples/insert.js';
import type { MatdocRow } from '../../samples/sample-data.js';
import type { SourceWrite } from '../writes.js';
import type { SourceWriter } from './port.js';
import { alreadyCommitted, isTransientWriteError, MAX_OUTAGE_MS } from './retrying.js';
import { chunks } from './store-rows.js';
import { inTransaction, unreachable } from './store-postgres.js';

/** Simulated material documents use numbers 7000000000-7999999999 (tests use 5xxx and 6xxx). */
export const MATERIAL_DOCUMENT_RANGE = [7_000_000_000, 7_999_999_999] as const;

/** Late commits open at the same time, each on a connection of its own; more wait for one. */
const MAX_HELD_TRANSACTIONS = 8;

/**
 * SAP goods movements: MATDOC lines in the SAP stand-in (insert-only, as in S/4HANA). Most
 * documents commit at once, in the batch's one transaction; a late commit (as SAP's update task
 * makes them) is inserted in a transaction of its own that stays open before it commits.
 */
export class SapMatdocWriter implements SourceWriter {
  readonly source = 'sap' as const;
  private held: pg.Pool | undefined;
  private readonly holding = new Set<Promise<void>>();
  private readonly releasing = new AbortController();

  private constructor(
    private readonly client: pg.Client,
    private readonly config: pg.ClientConfig,
  ) {}

  static async open(config: pg.ClientConfig): Promise<SapMatdocWriter> {
    const client = new pg.Client(config);
    // A server that goes away between writes (a restart) is reported by the next write, which
    // the run retries on a new connection (retrying.ts); unhandled, the event would end the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      throw unreachable(config, e);
    }
    return new SapMatdocWriter(client, config);
  }

  async write(writes: readonly SourceWrite[]): Promise<void> {
    const rows = matdocRows(writes);
    await inTransaction(this.client, (c) => insertRows(c, rows));
  }

  /**
   * A late commit: the document's lines are inserted in a transaction that stays open for
   * `holdMs` (or until release()) and then commits, after documents entered later. Resolves
   * once committed. A transaction lost to a restart of the database is written again at once
   * on a fresh connection (a duplicate key then says the lost one did commit).
   */
  writeHeld(writes: readonly SourceWrite[], holdMs: number): Promise<void> {
    const rows = matdocRows(writes);
    this.held ??= newHeldPool(this.config);
    const pool = this.held;
    const held = pRetry(
      async (attempt) => {
        let client: pg.PoolClient | undefined;
        let broken = false;
        // A server that goes away while the transaction is held (a restart) is reported by the
        // COMMIT, which is retried; unhandled, the client's event would end the process.
        const onLost = () => undefined;
        try {
          client = await pool.connect();
          client.on('error', onLost);
          await client.query('BEGIN');
          await insertRows(client, rows);
          if (attempt === 1 && !this.releasing.signal.aborted)
            await sleep(holdMs, undefined, { signal: this.releasing.signal }).catch(() => undefined);
          await client.query('COMMIT');
        } catch (e) {
          broken = true;
          await client?.query('ROLLBACK').catch(() => undefined);
          if (attempt > 1 && alreadyCommitted(e)) return;
          if (!isTransientWriteError(e)) throw new AbortError(e instanceof Error ? e : String(e));
          throw e;
        } finally {
          // A connection that failed is not handed out again.
          client?.off('error', onLost);
          client?.release(broken);
        }
      },
      { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: MAX_OUTAGE_MS, minTimeout: 250, maxTimeout: 4000 },
    );
    const tracked = held.finally(() => this.holding.delete(tracked));
    this.holding.add(tracked);
    return tracked;
  }

  /** Commits every late commit still open now (the run stops, or this writer is replaced). */
  release(): void {
    this.releasing.abort();
  }

  /** The next free material document number, as SAP's number range would hand it out. */
  async nextMaterialDocument(): Promise<number> {
    const [low, high] = MATERIAL_DOCUMENT_RANGE;
    const { rows } = await this.client.query<{ max: string | null }>(
      `SELECT max("MBLNR") AS max FROM sapabap1."MATDOC" WHERE "MBLNR" BETWEEN $1 AND $2`,
      [String(low), String(high)],
    );
    return rows[0]?.max ? Number(rows[0].max) + 1 : low + 1;
  }

  async hasMaterialPrefix(skuPrefix: string): Promise<boolean> {
    const { rowCount } = await this.client.query(
      `SELECT 1 FROM sapabap1."MATDOC" WHERE "MATNR" LIKE $1 LIMIT 1`,
      [`%${skuPrefix}%`],
    );
    return (rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    this.release();
    await Promise.allSettled([...this.holding]);
    await this.held?.end();
    await this.client.end();
  }
}

function matdocRows(writes: readonly SourceWrite[]): MatdocRow[] {
  return writes.map((w) => {
    if (w.kind !== 'matdoc') throw new Error(`the SAP stand-in does not take ${w.kind} writes`);
    return w.row;
  });
}

async function insertRows(c: pg.ClientBase, rows: readonly MatdocRow[]): Promise<void> {
  for (const chunk of chunks(rows)) {
    const { sql, values } = multiRowInsert('postgres', 'sapabap1."MATDOC"', chunk);
    await c.query(sql, values);
  }
}

function newHeldPool(config: pg.ClientConfig): pg.Pool {
  const pool = new pg.Pool({ ...config, max: MAX_HELD_TRANSACTIONS });
  // An idle connection that breaks (a restart) is dropped by the pool; the next use reconnects.
  pool.on('error', () => undefined);
  return pool;
}
