import pg from 'pg';
import { RemoteError } from '../../../errors.js';
import { multiRowInsert } from '../../samples/insert.js';
import { isoMicros } from '../source-time.js';
import type { SourceWrite } from '../writes.js';
import type { ItemRow, LocationRow, StoreWriter } from './port.js';
import { chunks, roundsOfDistinctKeys, storeStatements } from './store-rows.js';

/** The northern stores' database (PostgreSQL): sale lines, receipts, transfers, counts. */
export class PostgresStoreWriter implements StoreWriter {
  readonly source = 'store-pg' as const;

  private constructor(private readonly client: pg.Client) {}

  static async open(config: pg.ClientConfig): Promise<PostgresStoreWriter> {
    const client = new pg.Client(config);
    // A server that goes away between writes (a restart) is reported by the next write, which
    // the run retries on a new connection (retrying.ts); unhandled, the event would end the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      throw unreachable(config, e);
    }
    return new PostgresStoreWriter(client);
  }

  async write(writes: readonly SourceWrite[]): Promise<void> {
    const s = storeStatements(writes, isoMicros);
    await inTransaction(this.client, async (c) => {
      for (const [table, rows] of [
        ['sale_lines', s.saleLines],
        ['goods_receipts', s.receipts],
        ['transfers', s.shipped],
      ] as const)
        for (const chunk of chunks(rows)) await query(c, multiRowInsert('postgres', table, chunk));
      if (s.received.length > 0) {
        const values: unknown[] = [];
        const tuples = s.received.map((r) => {
          values.push(r.transfer_id, r.line_no, r.received_at);
          const n = values.length;
          return `($${n - 2}::bigint, $${n - 1}::integer, $${n}::timestamptz)`;
        });
        const { rowCount } = await c.query(
          `UPDATE transfers AS t SET status = 'received', received_at = v.received_at
           FROM (VALUES ${tuples.join(', ')}) AS v (transfer_id, line_no, received_at)
           WHERE t.transfer_id = v.transfer_id AND t.line_no = v.line_no AND t.status = 'shipped'`,
          values,
        );
        if (rowCount !== s.received.length)
          throw new Error(`${s.received.length} transfer lines to receive, ${rowCount ?? 0} were shipped`);
      }
      // A count inserts the row or updates it; REPLICA IDENTITY FULL gives the update its before-image.
      for (const round of roundsOfDistinctKeys(s.counts, (r) => `${String(r.location_id)}@${String(r.sku)}`))
        for (const chunk of chunks(round)) {
          const insert = multiRowInsert('postgres', 'stock_on_hand', chunk);
          await query(c, {
            sql: `${insert.sql} ON CONFLICT (location_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity,
                  unit = EXCLUDED.unit, counted_at = EXCLUDED.counted_at, updated_at = EXCLUDED.updated_at`,
            values: insert.values,
          });
        }
    });
  }

  async hasSkuPrefix(prefix: string): Promise<boolean> {
    const { rowCount } = await this.client.query('SELECT 1 FROM items WHERE sku LIKE $1 LIMIT 1', [
      `${prefix}%`,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async hasBarcodePrefix(prefix: string): Promise<boolean> {
    const { rowCount } = await this.client.query('SELECT 1 FROM items WHERE barcode LIKE $1 LIMIT 1', [
      `${prefix}%`,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async addLocations(locations: readonly LocationRow[]): Promise<void> {
    if (locations.length === 0) return;
    const insert = multiRowInsert('postgres', 'locations', locations);
    await this.client.query(`${insert.sql} ON CONFLICT (location_id) DO NOTHING`, insert.values);
  }

  async addItems(items: readonly ItemRow[]): Promise<void> {
    await inTransaction(this.client, async (c) => {
      for (const chunk of chunks(items)) await query(c, multiRowInsert('postgres', 'items', chunk));
    });
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

async function query(client: pg.Client, statement: { sql: string; values: unknown[] }): Promise<void> {
  await client.query(statement.sql, statement.values);
}

export async function inTransaction(client: pg.Client, work: (c: pg.Client) => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work(client);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export function unreachable(config: pg.ClientConfig, cause: unknown): RemoteError {
  return new RemoteError(
    `cannot connect to PostgreSQL database ${config.database} at ${config.host}:${config.port} as ${config.user}: ${(cause as Error).message}; is the stack running? (./stockline stack status)`,
    { database: config.database, host: config.host, port: config.port },
    { cause },
  );
}
