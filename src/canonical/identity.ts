import { hash } from 'node:crypto';

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

/** Namespace and name in one buffer, reused: the hash reads it at once. Grows for a longer name. */
let scratch = Buffer.alloc(1024);
NAMESPACE_BYTES.copy(scratch);
const HEX = '0123456789abcdef';

/**
 * RFC 4122 UUID version 5 (SHA-1 of namespace and name), computed with node:crypto directly:
 * the uuid package converts the name byte by byte in JavaScript, which showed as a tenth of the
 * mapper's time. One-shot `crypto.hash` over a reused buffer, the version and variant set in
 * the hex text: no Hash object and no buffers per id. identity.test.ts checks it against the
 * uuid package.
 */
export function uuidV5(name: string): string {
  const length = 16 + Buffer.byteLength(name, 'utf8');
  if (length > scratch.length) {
    scratch = Buffer.alloc(2 * length);
    NAMESPACE_BYTES.copy(scratch);
  }
  scratch.write(name, 16, 'utf8');
  const hex = hash('sha1', scratch.subarray(0, length), 'hex');
  // Version 5 in the high nibble of byte 6, variant 10 in the high bits of byte 8.
  const variant = HEX[(parseInt(hex[16]!, 16) & 0x3) | 0x8]!;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
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
