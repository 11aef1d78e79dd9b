import type { Quantity } from '../stock/quantity.js';

/** A Kafka message as the materializer receives it. */
export interface RawMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
}

/** A canonical event as the materializer applies it: checked, with exact quantity and instant. */
export interface MaterializerEvent {
  /** Kafka offset, for rejections and logs. */
  offset: string;
  id: string;
  type: 'movement' | 'level';
  sku: string;
  location: string;
  quantity: Quantity;
  unit: string;
  /** Normalized instant (see instant.ts). */
  occurredAt: string;
  system: string;
  sequence: string;
  /** Read by a source snapshot (data.source.snapshot): such a read of history is no late event. */
  snapshot: boolean;
  /** sale, receipt, count... (canonical `reason`), for the freshness metric by kind of change. */
  reason: string;
  /** The message it came from, kept for a rejection (original bytes, key and headers). */
  raw: RawMessage;
}
