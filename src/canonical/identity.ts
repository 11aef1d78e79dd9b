import { createHash } from 'node:crypto';

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
export const EVENT_ID_NAMESPACE = '6f1c2b0e-5d8a-4c3e-9a57-7b0d2f4e8c11';
const NAMESPACE_BYTES = Buffer.from(EVENT_ID_NAMESPACE.replace(/-/g, ''), 'hex');

/**
 * RFC 4122 UUID version 5 (SHA-1 of namespace and name), computed with node:crypto directly:
 * the uuid package converts the name byte by byte in JavaScript, which showed as a tenth of the
 * mapper's time. identity.test.ts checks it against the uuid package.
 */
export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE_BYTES).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Event ids are UUID v5 of the source system, entity, the identity of the change (what the
 * business change is, never the message that carried it: see sources/debezium/position.ts),
 * mapping and the index of the emitted event: the stream, a snapshot, a re-snapshot or a replay
 * of the same source change give the same ids, so duplicates are recognised downstream.
 */
export function eventId(
  system: string,
  entity: string,
  change: string,
  mapping: string,
  emitIndex: number,
): string {
  return uuidV5(`${system}|${entity}|${change}|${mapping}|${emitIndex}`);
}

/** Fixed-width decimal so that positions sort as strings in numeric order. */
export function sortable(n: bigint | number | string, width = 20): string {
  return String(n).padStart(width, '0');
}
