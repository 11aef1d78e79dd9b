import { v5 as uuidv5 } from 'uuid';

/**
 * The key of every canonical topic: SKU and location. All events of one item at one location
 * land on one partition and keep their order. SKUs and location ids never contain "@"
 * (schemas/inventory-event-data.v1.json), so the key splits back unambiguously.
 */
export function stockKey(sku: string, location: string): string {
  return `${sku}@${location}`;
}

export function parseStockKey(key: string): { sku: string; location: string } {
  const at = key.lastIndexOf('@');
  return { sku: key.slice(0, at), location: key.slice(at + 1) };
}

/** A fixed namespace, so the same name gives the same id on every machine, forever. */
const EVENT_ID_NAMESPACE = '6f1c2b0e-5d8a-4c3e-9a57-7b0d2f4e8c11';

/**
 * Event ids are UUID v5 of the source system, entity, position, mapping and the index of the
 * emitted event: a replay of the same source change gives the same ids, so duplicates are
 * recognised downstream.
 */
export function eventId(
  system: string,
  entity: string,
  position: string,
  mapping: string,
  emitIndex: number,
): string {
  return uuidv5(`${system}|${entity}|${position}|${mapping}|${emitIndex}`, EVENT_ID_NAMESPACE);
}

/** Fixed-width decimal so that positions sort as strings in numeric order. */
export function sortable(n: bigint | number | string, width = 20): string {
  return String(n).padStart(width, '0');
}
