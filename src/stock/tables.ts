/** Table names used by the statements (the migrations spell them out, being history). */
export const TABLES = {
  locations: 'locations',
  items: 'items',
  itemBarcodes: 'item_barcodes',
  stock: 'stock',
  totals: 'stock_totals',
  totalsByRegion: 'stock_totals_by_region',
  totalsByKind: 'stock_totals_by_kind',
  rejectedEvents: 'stock_rejected_events',
  positions: 'materializer_positions',
  /** Movements applied after their key's barrier: the memory of what was applied (0005). */
  ledger: 'stock_ledger',
  ledgerHorizon: 'stock_ledger_horizon',
} as const;

export const LOCATION_KINDS = ['store', 'warehouse', 'distribution_center'] as const;
export type LocationKind = (typeof LOCATION_KINDS)[number];

/**
 * Region and kind under which totals count stock at a location that the locations table does
 * not know yet; registering the location moves that stock to its real region and kind.
 */
export const UNKNOWN = 'unknown';
