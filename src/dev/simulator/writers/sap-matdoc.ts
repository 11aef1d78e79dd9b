import pg from 'pg';
import { multiRowInsert } from '../../samples/insert.js';
import type { SourceWrite } from '../writes.js';
import type { SourceWriter } from './port.js';
import { chunks } from './store-rows.js';
import { inTransaction, unreachable } from './store-postgres.js';

/** Simulated material documents use numbers 7000000000-7999999999 (tests use 5xxx and 6xxx). */
export const MATERIAL_DOCUMENT_RANGE = [7_000_000_000, 7_999_999_999] as const;

/** SAP goods movements: MATDOC lines in the SAP stand-in (insert-only, as in S/4HANA). */
export class SapMatdocWriter implements SourceWriter {
  readonly source = 'sap' as const;

  private constructor(private readonly client: pg.Client) {}

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
    return new SapMatdocWriter(client);
  }

  async write(writes: readonly SourceWrite[]): Promise<void> {
    const rows = writes.map((w) => {
      if (w.kind !== 'matdoc') throw new Error(`the SAP stand-in does not take ${w.kind} writes`);
      return w.row;
    });
    await inTransaction(this.client, async (c) => {
      for (const chunk of chunks(rows)) {
        const { sql, values } = multiRowInsert('postgres', 'sapabap1."MATDOC"', chunk);
        await c.query(sql, values);
      }
    });
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
    await this.client.end();
  }
}
