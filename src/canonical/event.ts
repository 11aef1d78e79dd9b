/**
 * The canonical inventory events: the contract with downstream systems (documented for
 * subscribers in docs/asyncapi.yaml, data validated by schemas/*.json).
 */
export const MOVEMENT = 'inventory.movement';
export const LEVEL = 'inventory.level';
export type EventType = typeof MOVEMENT | typeof LEVEL;

export const REASONS = [
  'sale',
  'return',
  'receipt',
  'goods_issue',
  'transfer_out',
  'transfer_in',
  'adjustment',
  'count',
  'snapshot',
] as const;
export type Reason = (typeof REASONS)[number];

/**
 * Which stock a movement changes, for sources that keep several per location (SAP: the stock
 * type LBBSA_SID of a MATDOC line). Absent: the source knows one stock per location, the one a
 * store can sell. The stock table counts unrestricted-use stock only (docs/mappings.md).
 */
export const STOCK_TYPES = [
  'unrestricted',
  'quality_inspection',
  'blocked',
  'restricted',
  'returns',
  'in_transfer',
] as const;
export type StockType = (typeof STOCK_TYPES)[number];

/** Where a canonical event came from; `sequence` orders the changes of one source. */
export interface EventSource {
  /** The source system, e.g. "store-pg", "store-maria", "sap", "mainframe-wh". */
  system: string;
  /** What in the source changed, e.g. "store.public.sale_lines" or a queue name. */
  entity: string;
  /**
   * What identifies the change at the source (the event id derives from it): the row key of an
   * inserted row, the key and log position of an update or delete, an MQ message id.
   */
  position: string;
  /** A string that sorts in source order within one system (fixed-width numbers). */
  sequence: string;
  /** Read by a snapshot (initial, re-snapshot, incremental), not from the log; absent otherwise. */
  snapshot?: boolean;
}

export interface InventoryEventData {
  sku: string;
  location: string;
  /** Exact decimal as a string: signed for a movement, absolute for a level. */
  quantity: string;
  unit: string;
  reason: Reason;
  /** ISO 8601 with offset: when it happened in the source (for a level: as of when). */
  occurredAt: string;
  /** Which stock of the location changed (SAP stock types); absent: the only one, sellable stock. */
  stockType?: StockType;
  /** The source's special stock indicator (SAP SOBKZ: K consignment, E sales order ...); absent: own stock. */
  specialStock?: string;
  /** ISO 8601 date the source books the change on (SAP BUDAT, may be back-dated); absent when the source has none. */
  postingDate?: string;
  source: EventSource;
  /** The mapping that produced it, for tracing. */
  mapping: string;
}

/** CloudEvents 1.0 attributes plus the data. */
export interface CanonicalEvent {
  id: string;
  /** CloudEvents source: a URI reference naming the source entity, e.g. /stockline/store-pg/store.public.sale_lines */
  source: string;
  type: EventType;
  /** CloudEvents time = data.occurredAt */
  time: string;
  /** sku@location: the key every canonical topic is partitioned by. */
  subject: string;
  data: InventoryEventData;
}

export const CANONICAL_TOPIC = 'inventory.events.v1';
export const DEAD_LETTER_TOPIC = 'inventory.deadletter.v1';
export const STOCK_TOPIC = 'inventory.stock.v1';
