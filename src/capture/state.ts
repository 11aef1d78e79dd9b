// What the SAP capture remembers, written in the same Kafka transaction as its records: the
// position record (the TransactionalProducer's, keyed by the source) and the keys captured per
// entry bucket of the look-back window (segment records, keyed `<source>|seg|<bucket>|<id>`).
// The state topic has ONE partition: reading it from the start up to the last position record
// reads every segment that position goes with (research/sap.md §A6; README.md "State").
import { describeError, type ErrorContext } from '../errors.js';
import type { OutgoingRecord } from '../kafka/port.js';
import { PositionMismatchError } from '../materializer/errors.js';
import { KEY_COLUMNS, type EntryPoint, type MatdocKey } from '../sap/port.js';

/** The position record: what the last committed transaction says. */
export interface CapturePosition {
  readonly v: 1;
  /** Transactions committed so far (the first is 1). */
  readonly seq: number;
  /** The fast path resumes strictly after this point. */
  readonly point: EntryPoint;
  /** sap.initialLoadId of the last initial load (a new id asks for a new load). */
  readonly loadId: string;
  /** The id of the process run that wrote it (segment ids start with it). */
  readonly run: string;
}

/** A key as text: the JSON array [MANDT, MJAHR, MBLNR, ZEILE] (unambiguous, sorts like the key). */
export const keyText = (k: MatdocKey): string => JSON.stringify(KEY_COLUMNS.map((c) => k[c]));

export function encodePosition(p: CapturePosition): string {
  return JSON.stringify(p);
}

const isText = (v: unknown): v is string => typeof v === 'string';

export function decodePosition(
  position: Buffer | string | null,
  context: ErrorContext,
): CapturePosition | null {
  if (position === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(position.toString());
  } catch (e) {
    throw invalid('is not JSON', context, e);
  }
  const p = parsed as Partial<CapturePosition> | null;
  if (typeof p !== 'object' || p === null) throw invalid('is not an object', context);
  if (p.v !== 1) throw invalid(`has version ${String(p.v)}, this capture reads version 1`, context);
  const k = p.point?.key as Partial<MatdocKey> | undefined;
  if (
    typeof p.seq !== 'number' ||
    !Number.isInteger(p.seq) ||
    p.seq < 1 ||
    !isText(p.loadId) ||
    !isText(p.run) ||
    !isText(p.point?.entry) ||
    !/^\d{14}$/.test(p.point.entry) ||
    k === undefined ||
    !KEY_COLUMNS.every((c) => isText(k[c]))
  )
    throw invalid('lacks seq, point, loadId or run, or has values of the wrong type', context);
  return p as CapturePosition;
}

function invalid(what: string, context: ErrorContext, cause?: unknown): PositionMismatchError {
  return new PositionMismatchError(
    `the SAP capture's last position record ${what}: the capture cannot tell which rows are already in Kafka, and stops rather than risk a loss or a duplicate; look at the state topic's record for this source`,
    cause === undefined ? context : { ...context, cause: describeError(cause) },
  );
}

/** Most keys in one segment record (~40 bytes a key: well below Kafka's 1 MB record limit). */
export const SEGMENT_KEYS = 5000;
/** A bucket with more small segments than this has them merged in the next transaction. */
export const MAX_SMALL_SEGMENTS = 16;

const SEG = '|seg|';
export const segmentKey = (source: string, bucket: string, id: string): string =>
  `${source}${SEG}${bucket}|${id}`;

/** The bucket and id of a segment record's key of this source; undefined for any other key. */
export function parseSegmentKey(source: string, key: string): { bucket: string; id: string } | undefined {
  const prefix = `${source}${SEG}`;
  if (!key.startsWith(prefix)) return undefined;
  const [bucket, id] = key.slice(prefix.length).split('|');
  return bucket === undefined || id === undefined ? undefined : { bucket, id };
}

/** The keys captured in one entry bucket, and the segment records that hold them. */
interface Bucket {
  readonly keys: Set<string>;
  readonly segments: Map<string, string[]>;
}

/**
 * The keys captured per bucket of the look-back window. Changes are planned into state records
 * (`plan`) and applied only once their transaction committed (`apply`).
 */
export class CapturedKeys {
  private readonly buckets = new Map<string, Bucket>();

  /** From the segment records read back (tombstones already removed). */
  static fromSegments(segments: Iterable<{ bucket: string; id: string; keys: string[] }>): CapturedKeys {
    const captured = new CapturedKeys();
    for (const s of segments) captured.bucket(s.bucket).segments.set(s.id, s.keys);
    for (const b of captured.buckets.values())
      for (const keys of b.segments.values()) for (const k of keys) b.keys.add(k);
    return captured;
  }

  private bucket(bucket: string): Bucket {
    let b = this.buckets.get(bucket);
    if (b === undefined) {
      b = { keys: new Set(), segments: new Map() };
      this.buckets.set(bucket, b);
    }
    return b;
  }

  has(bucket: string, key: string): boolean {
    return this.buckets.get(bucket)?.keys.has(key) ?? false;
  }

  count(bucket: string): number {
    return this.buckets.get(bucket)?.keys.size ?? 0;
  }

  /** Buckets holding keys, in order. */
  bucketNames(): string[] {
    return [...this.buckets.keys()].sort();
  }

  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.keys.size;
    return n;
  }

  /**
   * The state records of one transaction: a segment per bucket for the keys it adds (split at
   * SEGMENT_KEYS), a merge of a bucket's small segments when it has too many, and tombstones
   * for the buckets older than `firstBucket` (out of the window). Returns the records and the
   * change to apply after the commit.
   */
  plan(
    source: string,
    stateTopic: string,
    segmentId: string,
    added: ReadonlyMap<string, readonly string[]>,
    firstBucket: string,
  ): { records: OutgoingRecord[]; change: CapturedChange } {
    const records: OutgoingRecord[] = [];
    const put: { bucket: string; id: string; keys: string[] }[] = [];
    const removed: { bucket: string; id: string }[] = [];
    const dropped: string[] = [];
    const write = (bucket: string, id: string, keys: string[]) => {
      records.push({
        topic: stateTopic,
        key: segmentKey(source, bucket, id),
        value: `[${keys.join(',')}]`,
        headers: {},
      });
      put.push({ bucket, id, keys });
    };
    const remove = (bucket: string, id: string) => {
      records.push({ topic: stateTopic, key: segmentKey(source, bucket, id), value: null, headers: {} });
      removed.push({ bucket, id });
    };
    for (const [bucket, b] of this.buckets)
      if (bucket < firstBucket) {
        for (const id of b.segments.keys()) remove(bucket, id);
        dropped.push(bucket);
      }
    for (const [bucket, keys] of added) {
      if (bucket < firstBucket || keys.length === 0) continue;
      const existing = this.buckets.get(bucket)?.segments ?? new Map<string, string[]>();
      const small = [...existing].filter(([, k]) => k.length < SEGMENT_KEYS);
      let fresh = [...keys];
      if (small.length >= MAX_SMALL_SEGMENTS) {
        for (const [id, k] of small) {
          remove(bucket, id);
          fresh = [...k, ...fresh];
        }
      }
      for (let i = 0; i * SEGMENT_KEYS < fresh.length; i++)
        write(bucket, `${segmentId}.${i}`, fresh.slice(i * SEGMENT_KEYS, (i + 1) * SEGMENT_KEYS));
    }
    return { records, change: { put, removed, dropped } };
  }

  /** Applies a committed transaction's change. */
  apply(change: CapturedChange): void {
    for (const bucket of change.dropped) this.buckets.delete(bucket);
    for (const { bucket, id } of change.removed) this.buckets.get(bucket)?.segments.delete(id);
    for (const { bucket, id, keys } of change.put) {
      const b = this.bucket(bucket);
      b.segments.set(id, keys);
      for (const k of keys) b.keys.add(k);
    }
  }
}

export interface CapturedChange {
  readonly put: readonly { bucket: string; id: string; keys: string[] }[];
  readonly removed: readonly { bucket: string; id: string }[];
  readonly dropped: readonly string[];
}

/** The keys of a segment record's value (a JSON array of key texts). */
export function segmentKeys(value: Buffer | string): string[] {
  const parsed = JSON.parse(value.toString()) as unknown;
  if (!Array.isArray(parsed)) throw new Error('a segment record is not a JSON array');
  return parsed.map((k) => JSON.stringify(k));
}

/** Folds state records, in offset order, into the keys captured (a tombstone removes its segment). */
export class SegmentFolder {
  private readonly segments = new Map<string, { bucket: string; id: string; keys: string[] }>();
  constructor(private readonly source: string) {}

  /** Takes one record; ignores keys that are not this source's segments. */
  add(key: string, value: Buffer | string | null): void {
    const segment = parseSegmentKey(this.source, key);
    if (segment === undefined) return;
    const id = `${segment.bucket}|${segment.id}`;
    if (value === null || value.length === 0) this.segments.delete(id);
    else this.segments.set(id, { ...segment, keys: segmentKeys(value) });
  }

  keys(): CapturedKeys {
    return CapturedKeys.fromSegments(this.segments.values());
  }
}
