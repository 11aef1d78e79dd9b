// What the simulator writes into the sources: one value per row change (insert or update) or
// per mainframe record, in the sources' own column names. Times are microseconds since the
// epoch; each writer formats them the way its system stores them.
import type { MatdocRow } from '../samples/sample-data.js';
import type { MoveCode } from './source-lookups.js';
import type { Micros } from './source-time.js';
import type { StoreSystem } from './world.js';

export interface SaleLineRow {
  sale_id: string;
  line_no: number;
  location_id: string;
  sku: string;
  /** Negative for a returned line. */
  quantity: string;
  unit: string;
  unit_price: string;
  sold_at: Micros;
}

export interface ReceiptLineRow {
  receipt_id: string;
  line_no: number;
  location_id: string;
  sku: string;
  quantity: string;
  unit: string;
  supplier: string;
  received_at: Micros;
}

export interface TransferLineRow {
  transfer_id: string;
  line_no: number;
  from_location: string;
  to_location: string;
  sku: string;
  quantity: string;
  unit: string;
  status: 'shipped' | 'received';
  shipped_at: Micros;
  received_at: Micros | null;
}

export interface StockOnHandRow {
  location_id: string;
  sku: string;
  quantity: string;
  unit: string;
  counted_at: Micros;
  updated_at: Micros;
}

/** The fields of one WHMOVE record (mappings/copybooks/WHMOVE.cpy), in the decoder's notation. */
export interface WhmoveRecord {
  'WM-REC-TYPE': 'MV' | 'CT';
  'WM-WAREHOUSE-ID': string;
  'WM-SKU': string;
  'WM-MOVE-CODE': MoveCode;
  /** S9(9)V999: signed, three decimals. */
  'WM-QUANTITY': string;
  'WM-UOM': string;
  'WM-MOVE-TS': string;
  'WM-SEQ-NO': string;
}

export type SourceWrite =
  | { kind: 'sale_line'; system: StoreSystem; at: Micros; row: SaleLineRow }
  | { kind: 'goods_receipt'; system: StoreSystem; at: Micros; row: ReceiptLineRow }
  /** A transfer line inserted as shipped. */
  | { kind: 'transfer_shipped'; system: StoreSystem; at: Micros; row: TransferLineRow }
  /** The same line updated to received: `row` is the row after the update. */
  | { kind: 'transfer_received'; system: StoreSystem; at: Micros; row: TransferLineRow }
  /** A physical count: inserts the stock_on_hand row, or updates it (previousQuantity set). */
  | {
      kind: 'stock_count';
      system: StoreSystem;
      at: Micros;
      row: StockOnHandRow;
      previousQuantity: string | null;
    }
  /**
   * One line of an SAP material document. With holdMs, its document is one of SAP's late
   * commits: inserted in a transaction that stays open this long before it commits.
   */
  | { kind: 'matdoc'; system: 'sap'; at: Micros; row: MatdocRow; holdMs?: number }
  /** One message on the mainframe's queue; msgId is the MQMD message id (hex, 24 bytes). */
  | { kind: 'whmove'; system: 'mainframe'; at: Micros; record: WhmoveRecord; msgId: string };

export type SourceName = SourceWrite['system'];

export const SOURCE_NAMES: readonly SourceName[] = ['store-pg', 'store-maria', 'sap', 'mainframe'];

/** Where a write lands, for counting: the table (or queue) and whether it inserts or updates. */
export function targetOf(write: SourceWrite): { table: string; change: 'inserted' | 'updated' } {
  switch (write.kind) {
    case 'sale_line':
      return { table: 'sale_lines', change: 'inserted' };
    case 'goods_receipt':
      return { table: 'goods_receipts', change: 'inserted' };
    case 'transfer_shipped':
      return { table: 'transfers', change: 'inserted' };
    case 'transfer_received':
      return { table: 'transfers', change: 'updated' };
    case 'stock_count':
      return { table: 'stock_on_hand', change: write.previousQuantity === null ? 'inserted' : 'updated' };
    case 'matdoc':
      return { table: 'MATDOC', change: 'inserted' };
    case 'whmove':
      return { table: 'WH.STOCK.MOVES', change: 'inserted' };
  }
}
