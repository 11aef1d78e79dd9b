/**
 * Debezium change events as they arrive on raw topics (JSON converter, with or without the
 * schema envelope). Tombstones, heartbeats and schema-change events are recognised and
 * skipped, never treated as errors.
 */
export type DebeziumOp = 'c' | 'u' | 'd' | 'r' | 't';

export interface DebeziumChange {
  kind: 'change';
  op: DebeziumOp;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: DebeziumSource;
  ts_ms: number | undefined;
}

export interface DebeziumSource {
  connector?: string;
  name?: string;
  db?: string;
  schema?: string;
  table?: string;
  snapshot?: string | boolean;
  lsn?: number;
  sequence?: string;
  file?: string;
  pos?: number;
  row?: number;
  ts_ms?: number;
  [field: string]: unknown;
}

export type DebeziumMessage =
  | DebeziumChange
  | { kind: 'tombstone' }
  | { kind: 'heartbeat' }
  | { kind: 'schema-change' }
  | { kind: 'not-debezium'; reason: string };

const OPS = new Set(['c', 'u', 'd', 'r', 't']);

/** Accepts the parsed value (JSON.parse of the message), or null for a tombstone. */
export function classifyDebezium(value: unknown): DebeziumMessage {
  if (value === null || value === undefined) return { kind: 'tombstone' };
  if (typeof value !== 'object' || Array.isArray(value))
    return { kind: 'not-debezium', reason: 'the value is not a JSON object' };
  let v = value as Record<string, unknown>;
  // With schemas.enable=true the converter wraps the event as { schema, payload }.
  if ('payload' in v && 'schema' in v) {
    if (v.payload === null) return { kind: 'tombstone' };
    v = v.payload as Record<string, unknown>;
  }
  if (typeof v.op === 'string') {
    if (!OPS.has(v.op)) return { kind: 'not-debezium', reason: `unknown Debezium op "${v.op}"` };
    const source = (v.source ?? {}) as DebeziumSource;
    return {
      kind: 'change',
      op: v.op as DebeziumOp,
      before: (v.before ?? null) as Record<string, unknown> | null,
      after: (v.after ?? null) as Record<string, unknown> | null,
      source,
      ts_ms: typeof v.ts_ms === 'number' ? v.ts_ms : undefined,
    };
  }
  if ('ddl' in v || 'tableChanges' in v || 'historyRecord' in v) return { kind: 'schema-change' };
  const keys = Object.keys(v);
  if (keys.length > 0 && keys.every((k) => k === 'ts_ms')) return { kind: 'heartbeat' };
  return { kind: 'not-debezium', reason: 'the value has no "op": it is not a Debezium change event' };
}
