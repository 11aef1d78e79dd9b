import type { OutgoingRecord } from './port.js';

/**
 * Bytes of keys, values and headers per produce request. The broker refuses a record batch (one
 * partition's part of a request) above message.max.bytes, 1 MiB by default; a request under
 * 900 KiB cannot hold one even when all its records go to one partition (the one-partition
 * dead-letter topic). Counting records was not enough: 1,080 dead letters of ~1.8 KB made a
 * 1.95 MB request that the broker refused on every restart.
 */
export const SEND_BYTES = 900 * 1024;
/** Per record beyond key, value and headers: the record's framing in the batch. */
const RECORD_OVERHEAD = 70;

const byteSize = (v: string | Buffer | null): number =>
  v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/** An outgoing record's size in a produce request, near enough to keep requests under SEND_BYTES. */
export function recordBytes(r: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD + byteSize(r.key) + byteSize(r.value);
  for (const [k, v] of Object.entries(r.headers)) bytes += Buffer.byteLength(k) + byteSize(v) + 2;
  return bytes;
}

/** Consecutive runs of `out` of at most `limit` bytes each (a record larger than that alone). */
export function byteChunks(out: OutgoingRecord[], limit = SEND_BYTES): OutgoingRecord[][] {
  const chunks: OutgoingRecord[][] = [];
  let chunk: OutgoingRecord[] = [];
  let bytes = 0;
  for (const r of out) {
    const size = recordBytes(r);
    if (chunk.length > 0 && bytes + size > limit) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
