import type { ItemStock, StockAtLocation } from '../stock/reads.js';
import type { SkuStockT, StockAtLocationT } from './schemas.js';

/**
 * The stock reads (src/stock/reads.ts) in the API's shapes. The stock store keeps instants to
 * the microsecond; the API has always shown them to the millisecond (truncated, as a JavaScript
 * Date would), and keeps doing so.
 */
const millis = (iso: string): string => `${iso.slice(0, 23)}Z`;

export const stockAtLocation = (row: StockAtLocation): StockAtLocationT => ({
  sku: row.sku,
  location: row.location,
  kind: row.kind,
  region: row.region,
  onHand: row.onHand,
  unit: row.unit,
  version: row.version,
  negative: row.negative,
  levelAsOf: row.levelAsOf === null ? null : millis(row.levelAsOf),
  lastEventAt: millis(row.lastEventAt),
  lastEventId: row.lastEventId,
  updatedAt: millis(row.updatedAt),
});

export const skuStock = (item: ItemStock): SkuStockT => ({
  sku: item.sku,
  total: item.total,
  byRegion: item.byRegion,
  byKind: item.byKind,
  locations: item.locations.map(stockAtLocation),
});

/** One row with its freshness: seconds since its last event occurred, never negative. */
export function singleStock(
  row: StockAtLocation,
  now = new Date(),
): StockAtLocationT & { freshnessSeconds: number } {
  const shown = stockAtLocation(row);
  return {
    ...shown,
    freshnessSeconds: Math.max(0, (now.getTime() - Date.parse(shown.lastEventAt)) / 1000),
  };
}
