import type { StockKey, StockRow } from './model.js';

/**
 * The read side of the stock store: what the stock API and the reconciler ask of the stock
 * table. PostgreSQL implements it today (postgres/stock-reader.ts); another SQL database
 * implements the same operations and runs test/integration/stock-store.test.ts.
 *
 * Values follow model.ts: quantities are exact decimal text without trailing zeros ("12.5"),
 * instants UTC ISO strings with microseconds. Every read goes by primary key or index; none
 * scans the stock table (the snapshot reads the rows of the locations it is given).
 *
 * Outside the contract, on purpose: how fresh a row is (the caller has the clock and the row's
 * `lastEventAt`), and what reference data means beyond a location's kind and region.
 */
export interface StockReader {
  /** One SKU at one location; undefined when the row does not exist. */
  row(key: StockKey): Promise<StockAtLocation | undefined>;
  /** One SKU at every location that holds a row, with its totals; undefined when it has neither. */
  item(sku: string): Promise<ItemStock | undefined>;
  /** The rows at one location, by SKU, one page after `after`. */
  atLocation(location: string, request: LocationPageRequest): Promise<Page<StockAtLocation>>;
  /** Totals per SKU in one region or location kind, by SKU, one page after `after`. */
  totalsIn(by: TotalsGroup, group: string, request: PageRequest): Promise<Page<SkuTotals>>;
  /** A location is known when the reference data names it or stock exists there. */
  locationKnown(location: string): Promise<boolean>;
  /** A region or kind is known when a location has it or totals are kept under it. */
  groupKnown(by: TotalsGroup, group: string): Promise<boolean>;
  /** The locations of the reference data, by id. */
  locations(): Promise<LocationInfo[]>;
  /**
   * The materializer's stored positions for one group and topic: per partition, the first
   * offset not applied yet. The stock table reflects every event before them (the materializer
   * stores them in the transaction that applies the events); Kafka's committed offsets lag them.
   */
  storedPositions(groupId: string, topic: string): Promise<PartitionOffsets>;
  /**
   * Runs `read` on one consistent snapshot of the stock table: every row of `request.locations`,
   * and the materializer positions it reflects, as of one instant, whatever the materializer
   * writes meanwhile. The snapshot lasts until `read` settles (a database transaction is held
   * open meanwhile: read it, do not wait on people).
   */
  snapshot<T>(request: SnapshotRequest, read: (snapshot: StockSnapshot) => Promise<T>): Promise<T>;
}

/** A stock row with its location's kind and region (`UNKNOWN` while the reference data lacks it). */
export interface StockAtLocation extends StockRow {
  kind: string;
  region: string;
}

export interface StockTotals {
  onHand: string;
  /** Locations holding a stock row for the SKU. */
  locations: number;
  /** Of those, the ones with negative stock. */
  negativeLocations: number;
}

export interface SkuTotals extends StockTotals {
  sku: string;
}

export interface ItemStock {
  sku: string;
  /** Zero at no location when the SKU has rows but its totals are not written yet. */
  total: StockTotals;
  byRegion: (StockTotals & { region: string })[];
  byKind: (StockTotals & { kind: string })[];
  /** By location. */
  locations: StockAtLocation[];
}

export type TotalsGroup = 'region' | 'kind';

export interface PageRequest {
  /** Rows in the page, at least 1. */
  limit: number;
  /** The `next` of the previous page; absent: the first page. */
  after?: string;
}

export interface LocationPageRequest extends PageRequest {
  /** Only SKUs that start with this text (taken literally: `%` and `_` are not wildcards). */
  skuPrefix?: string;
  /** Only rows whose stock is negative (true) or not (false). */
  negative?: boolean;
}

/**
 * One page, keyed by SKU. `next` is the last SKU of the page when more may follow, else null;
 * passing it as `after` continues after it. A keyset cursor, not an offset: rows written
 * between two pages neither shift nor repeat the rows that existed before.
 */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface LocationInfo {
  id: string;
  kind: string;
  region: string;
  dataCenter: string;
  name: string | null;
}

/** Per partition, an offset (Kafka offsets are 64-bit: bigint). */
export type PartitionOffsets = Map<number, bigint>;

export interface SnapshotRequest {
  /** The locations whose rows the snapshot reads (the reconciler's plants, mapped to locations). */
  locations: readonly string[];
  /** Whose stored positions say what the snapshot reflects: the materializer's group and topic. */
  positionsOf: { groupId: string; topic: string };
  /** Rows per page of `pages()` (memory stays bounded by it); default 1000. */
  pageSize?: number;
}

export interface StockSnapshot {
  /** The database's clock when the snapshot was taken (UTC ISO with microseconds). */
  takenAt: string;
  /** The stored positions at the snapshot: its rows reflect every event before them, none after. */
  positions: PartitionOffsets;
  /**
   * The rows of the requested locations, in pages ordered by location then SKU. Each call reads
   * them again from the same snapshot; a page is read when the iteration asks for it.
   */
  pages(): AsyncIterable<StockAtLocation[]>;
}
