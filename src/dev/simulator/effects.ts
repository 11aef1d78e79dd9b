// What each source write does to stock, by the semantics of the shipped mappings
// (mappings/*.yaml), written out independently of the mapping engine so that the expected stock
// is a second opinion, not a copy of the pipeline. effects-vs-mappings.test.ts runs generated
// writes through the real mappings and checks that both agree.
import { SAP_STOCK_TYPES } from '../samples/sample-data.js';
import { Exact, fixed } from './exact.js';
import { conversionOf, MOVE_CODE_SIGNS, plantLocation, warehouseLocation } from './source-lookups.js';
import { instantOfDb2Timestamp, instantOfSapTime, type Micros } from './source-time.js';
import type { SourceWrite } from './writes.js';

/** A canonical event as far as stock is concerned. */
export interface StockEffect {
  /** movement: adds its signed quantity; level: sets the quantity as of occurredAt. */
  type: 'movement' | 'level';
  sku: string;
  location: string;
  /** Signed, in the base unit, exact decimal text. */
  quantity: string;
  unit: string;
  occurredAt: Micros;
}

const negate = (q: string) => fixed(new Exact(q).negated());

/** sign x quantity x factor: the mappings' toBaseUnit, exactly. */
function inBaseUnit(quantity: string, unit: string, sign: 1 | -1): { quantity: string; unit: string } {
  const { baseUnit, factor } = conversionOf(unit);
  const q = new Exact(quantity).times(factor).times(sign);
  return { quantity: fixed(q), unit: baseUnit };
}

export function stockEffects(write: SourceWrite): StockEffect[] {
  switch (write.kind) {
    case 'sale_line': {
      // store-*-sale-lines: a sale removes its quantity; a return (negative line) adds it back.
      const { sku, location_id, quantity, unit, sold_at } = write.row;
      return [
        {
          type: 'movement',
          sku,
          location: location_id,
          quantity: negate(quantity),
          unit,
          occurredAt: sold_at,
        },
      ];
    }
    case 'goods_receipt': {
      const { sku, location_id, quantity, unit, received_at } = write.row;
      return [{ type: 'movement', sku, location: location_id, quantity, unit, occurredAt: received_at }];
    }
    case 'transfer_shipped': {
      // store-*-transfers: out at the sending location when the line is inserted as shipped.
      const { sku, from_location, quantity, unit, shipped_at } = write.row;
      return [
        {
          type: 'movement',
          sku,
          location: from_location,
          quantity: negate(quantity),
          unit,
          occurredAt: shipped_at,
        },
      ];
    }
    case 'transfer_received': {
      // ... and in at the receiving one when its status goes from shipped to received.
      const { sku, to_location, quantity, unit, received_at } = write.row;
      if (received_at === null) throw new Error('a received transfer line needs received_at');
      return [{ type: 'movement', sku, location: to_location, quantity, unit, occurredAt: received_at }];
    }
    case 'stock_count': {
      const { sku, location_id, quantity, unit, updated_at } = write.row;
      const level: StockEffect = {
        type: 'level',
        sku,
        location: location_id,
        quantity,
        unit,
        occurredAt: updated_at,
      };
      // store-pg-stock-on-hand: every insert and update is a level.
      if (write.system === 'store-pg' || write.previousQuantity === null) return [level];
      // store-maria-stock-on-hand: an update is a movement of after - before, none when equal.
      const delta = new Exact(quantity).minus(write.previousQuantity);
      if (delta.isZero()) return [];
      return [{ ...level, type: 'movement', quantity: fixed(delta) }];
    }
    case 'matdoc': {
      // sap-matdoc: ERFMG in ERFME to the base unit, SHKZG H removes, entry time in plant time;
      // only unrestricted-use stock of the company's own counts (stock type 01, no special stock).
      const r = write.row;
      if (r.LBBSA_SID !== SAP_STOCK_TYPES.unrestricted || r.SOBKZ !== '') return [];
      return [
        {
          type: 'movement',
          sku: r.MATNR.replace(/^0+/, ''),
          location: plantLocation(r.WERKS, r.LGORT),
          ...inBaseUnit(r.ERFMG, r.ERFME, r.SHKZG === 'H' ? -1 : 1),
          occurredAt: instantOfSapTime(r.CPUDT_MKPF, r.CPUTM_MKPF),
        },
      ];
    }
    case 'whmove': {
      // mainframe-whmove: MV records are movements signed by their move code, CT records levels.
      const r = write.record;
      const count = r['WM-REC-TYPE'] === 'CT';
      return [
        {
          type: count ? 'level' : 'movement',
          sku: r['WM-SKU'].trim().replace(/^0+/, ''),
          location: warehouseLocation(r['WM-WAREHOUSE-ID']),
          ...inBaseUnit(r['WM-QUANTITY'], r['WM-UOM'], count ? 1 : MOVE_CODE_SIGNS[r['WM-MOVE-CODE']]),
          occurredAt: instantOfDb2Timestamp(r['WM-MOVE-TS']),
        },
      ];
    }
  }
}
