import mysql from 'mysql2/promise';
import { RemoteError } from '../../../errors.js';
import { multiRowInsert } from '../../samples/insert.js';
import { mariadbDatetime } from '../source-time.js';
import type { SourceWrite } from '../writes.js';
import type { ItemRow, LocationRow, StoreWriter } from './port.js';
import { chunks, storeStatements } from './store-rows.js';

/** The southern stores' database (MariaDB): the same tables in MariaDB's dialect. */
export class MariadbStoreWriter implements StoreWriter {
  readonly source = 'store-maria' as const;

  private constructor(private readonly connection: mysql.Connection) {}

  static async open(options: mysql.ConnectionOptions): Promise<MariadbStoreWriter> {
    try {
      const connection = await mysql.createConnection(options);
      // A server that goes away between writes (a restart) is reported by the next write, which
      // the run retries on a new connection (retrying.ts); unhandled, the event would end the process.
      connection.on('error', () => undefined);
      return new MariadbStoreWriter(connection);
    } catch (e) {
      throw new RemoteError(
        `cannot connect to MariaDB database ${options.database} at ${options.host}:${options.port} as ${options.user}: ${(e as Error).message}; is the stack running? (./stockline stack status)`,
        { database: options.database, host: options.host, port: options.port },
        { cause: e },
      );
    }
  }

  async write(writes: readonly SourceWrite[]): Promise<void> {
    const s = storeStatements(writes, mariadbDatetime);
    await this.inTransaction(async (c) => {
      for (const [table, rows] of [
        ['sale_lines', s.saleLines],
        ['goods_receipts', s.receipts],
        ['transfers', s.shipped],
      ] as const)
        for (const chunk of chunks(rows))
          await c.query(...statement(multiRowInsert('mariadb', table, chunk)));
      if (s.received.length > 0) {
        // MariaDB has no UPDATE ... FROM (VALUES ...); a join with a derived table does the same.
        const values: unknown[] = [];
        const selects = s.received.map((r, i) => {
          values.push(r.transfer_id, r.line_no, r.received_at);
          return i === 0
            ? 'SELECT ? AS transfer_id, ? AS line_no, CAST(? AS DATETIME(6)) AS received_at'
            : 'SELECT ?, ?, CAST(? AS DATETIME(6))';
        });
        const [result] = await c.query<mysql.ResultSetHeader>(
          `UPDATE transfers AS t JOIN (${selects.join(' UNION ALL ')}) AS v
             ON t.transfer_id = v.transfer_id AND t.line_no = v.line_no
           SET t.status = 'received', t.received_at = v.received_at WHERE t.status = 'shipped'`,
          values,
        );
        if (result.affectedRows !== s.received.length)
          throw new Error(
            `${s.received.length} transfer lines to receive, ${result.affectedRows} were shipped`,
          );
      }
      // An existing row is updated in place: the binlog carries before and after (full row image).
      for (const chunk of chunks(s.counts)) {
        const insert = multiRowInsert('mariadb', 'stock_on_hand', chunk);
        await c.query(
          `${insert.sql} ON DUPLICATE KEY UPDATE quantity = VALUES(quantity), unit = VALUES(unit),
           counted_at = VALUES(counted_at), updated_at = VALUES(updated_at)`,
          insert.values,
        );
      }
    });
  }

  async hasSkuPrefix(prefix: string): Promise<boolean> {
    const [rows] = await this.connection.query<mysql.RowDataPacket[]>(
      'SELECT 1 FROM items WHERE sku LIKE ? LIMIT 1',
      [`${prefix}%`],
    );
    return rows.length > 0;
  }

  async hasBarcodePrefix(prefix: string): Promise<boolean> {
    const [rows] = await this.connection.query<mysql.RowDataPacket[]>(
      'SELECT 1 FROM items WHERE barcode LIKE ? LIMIT 1',
      [`${prefix}%`],
    );
    return rows.length > 0;
  }

  async addLocations(locations: readonly LocationRow[]): Promise<void> {
    if (locations.length === 0) return;
    const insert = multiRowInsert('mariadb', 'locations', locations);
    await this.connection.query(
      `${insert.sql} ON DUPLICATE KEY UPDATE location_id = location_id`,
      insert.values,
    );
  }

  async addItems(items: readonly ItemRow[]): Promise<void> {
    await this.inTransaction(async (c) => {
      for (const chunk of chunks(items))
        await c.query(...statement(multiRowInsert('mariadb', 'items', chunk)));
    });
  }

  async close(): Promise<void> {
    await this.connection.end();
  }

  private async inTransaction(work: (c: mysql.Connection) => Promise<void>): Promise<void> {
    await this.connection.beginTransaction();
    try {
      await work(this.connection);
      await this.connection.commit();
    } catch (e) {
      await this.connection.rollback().catch(() => undefined);
      throw e;
    }
  }
}

const statement = (s: { sql: string; values: unknown[] }): [string, unknown[]] => [s.sql, s.values];
