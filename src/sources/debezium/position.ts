import { sortable } from '../../canonical/identity.js';
import type { DebeziumChange } from './envelope.js';

export interface ChangePosition {
  system: string;
  entity: string;
  /** Identifies the change: with the key, unique per changed row. */
  position: string;
  /** Sorts in source order within the system (per key, later changes sort higher). */
  sequence: string;
}

/** JSON with sorted keys, so the same key always gives the same text. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

function bigintOf(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/**
 * The source position of a Debezium change.
 *
 * PostgreSQL: the LSN alone is not monotonic across interleaved transactions; Debezium's
 * source.sequence ["commit LSN", "LSN"] is, so the sequence is commit LSN then LSN.
 * MariaDB/MySQL: binlog file index, position, and row within the event.
 * Snapshot reads share one position; the row key tells them apart.
 */
export function debeziumPosition(change: DebeziumChange, key: unknown): ChangePosition {
  const s = change.source;
  const system = String(s.name ?? 'unknown');
  const entity = [s.db, s.schema, s.table].filter((p) => p !== undefined && p !== null && p !== '').join('.');
  const keyText = stableJson(key ?? null);
  let point: string;
  let sequence: string;
  if (s.connector === 'postgresql' || (s.lsn !== undefined && s.file === undefined)) {
    let commit: bigint | undefined;
    let lsn = bigintOf(s.lsn);
    if (typeof s.sequence === 'string') {
      try {
        const [c, l] = JSON.parse(s.sequence) as [string | null, string | null];
        commit = bigintOf(c ?? undefined);
        lsn = bigintOf(l ?? undefined) ?? lsn;
      } catch {
        /* older connectors: LSN only */
      }
    }
    commit ??= lsn ?? 0n;
    lsn ??= 0n;
    point = `lsn:${commit}:${lsn}`;
    sequence = `${sortable(commit)}:${sortable(lsn)}`;
  } else if (typeof s.file === 'string') {
    const fileIndex = Number(/(\d+)$/.exec(s.file)?.[1] ?? 0);
    const pos = bigintOf(s.pos) ?? 0n;
    const row = bigintOf(s.row) ?? 0n;
    point = `binlog:${s.file}:${pos}:${row}`;
    sequence = `${sortable(fileIndex, 10)}:${sortable(pos)}:${sortable(row, 6)}`;
  } else {
    const ts = bigintOf(s.ts_ms) ?? 0n;
    point = `ts:${ts}`;
    sequence = sortable(ts);
  }
  const snapshot =
    change.op === 'r' || (s.snapshot !== undefined && s.snapshot !== false && s.snapshot !== 'false');
  return { system, entity, position: `${snapshot ? 'snapshot:' : ''}${point}:${keyText}`, sequence };
}
