import type { SourceName, SourceWrite } from '../writes.js';

/**
 * One source system the simulator writes into. A technology that can vary sits behind this
 * port: the store databases, the SAP stand-in (later SAP HANA), the mainframe's queue (RabbitMQ
 * here, through the MQ port's transports).
 */
export interface SourceWriter {
  readonly source: SourceName;
  /**
   * Writes in order: all or nothing (one database transaction), or, on a queue, each message once
   * more at worst (a retry puts the messages again, with their message ids).
   */
  write(writes: readonly SourceWrite[]): Promise<void>;
  /**
   * Sources that make late commits (SAP): writes `writes` in one transaction that stays open
   * for `holdMs` before it commits; resolves once committed. Without it, a late commit is an
   * ordinary write.
   */
  writeHeld?(writes: readonly SourceWrite[], holdMs: number): Promise<void>;
  /** Commits every held transaction now: the run stops. */
  release?(): void;
  /** Commits what is held, then closes. */
  close(): Promise<void>;
}

/** The store databases also hold the run's items and any locations the run adds. */
export interface StoreWriter extends SourceWriter {
  /** Whether any item's SKU starts with `prefix` (a run id used before). */
  hasSkuPrefix(prefix: string): Promise<boolean>;
  hasBarcodePrefix(prefix: string): Promise<boolean>;
  addLocations(locations: readonly LocationRow[]): Promise<void>;
  addItems(items: readonly ItemRow[]): Promise<void>;
}

export interface LocationRow {
  location_id: string;
  name: string;
  kind: string;
  region: string;
  store_number: number | null;
}

export interface ItemRow {
  sku: string;
  barcode: string;
  description: string;
  unit: string;
}
