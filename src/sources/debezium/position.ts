import type { ChangePosition } from '../../canonical/build.js';
import { sortable } from '../../canonical/identity.js';
import { UnidentifiableChange } from '../format.js';
import type { DebeziumChange } from './envelope.js';

/**
 * How a mapping says what identifies the changes of its table (mapping `source.identity`):
 * - `default`: an insert or a snapshot read is the row itself (its key identifies it: right for
 *   insert-only tables), an update or a delete is a distinct change of the row (key, op and log
 *   position);
 * - `row`: every event a mapping emits from a row happens once in the row's life (a transfer
 *   line ships once and is received once), whichever op delivered it;
 * - `value`: the row's key and a value of the row that changes with every change (a version
 *   number, an update time), evaluated by the mapping.
 */
export type IdentityRule = { kind: 'default' } | { kind: 'row' } | { kind: 'value'; value: string };

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
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  return undefined;
}

export const isSnapshotRead = (change: DebeziumChange): boolean => {
  const s = change.source.snapshot;
  return change.op === 'r' || (s !== undefined && s !== false && s !== 'false');
};

/**
 * The SAP capture's position (src/capture/records.ts): source.sequence is a JSON array of
 * fixed-width texts in source order (entry time YYYYMMDDHHMMSS, then the row's key fields).
 * The capture reads a table, not a log, so this orders changes; it never identifies one (a
 * MATDOC row's id is its business key, whichever poll, sweep or load read it).
 */
function sapPosition(sequence: unknown): { point: string; sequence: string } | undefined {
  if (typeof sequence !== 'string') return undefined;
  let parts: unknown;
  try {
    parts = JSON.parse(sequence);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts) || parts.length === 0 || !parts.every((p) => typeof p === 'string'))
    return undefined;
  const text = parts.join(':');
  return { point: `sap:${text}`, sequence: text };
}

/**
 * The log position of a Debezium change: text that names it, and a sequence that sorts in
 * source order. Undefined when the event carries no position this code knows (never guessed:
 * two changes would share it).
 *
 * PostgreSQL: the LSN alone is not monotonic across interleaved transactions; Debezium's
 * source.sequence ["commit LSN", "LSN"] is, so the sequence is commit LSN then LSN.
 * MariaDB/MySQL: binlog file index, position, and row within the event.
 */
export function logPosition(change: DebeziumChange): { point: string; sequence: string } | undefined {
  const s = change.source;
  if (s.connector === 'sap-hana') return sapPosition(s.sequence);
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
    if (lsn === undefined) return undefined;
    commit ??= lsn;
    return { point: `lsn:${commit}:${lsn}`, sequence: `${sortable(commit)}:${sortable(lsn)}` };
  }
  if (typeof s.file === 'string' && s.file !== '') {
    const fileIndex = /(\d+)$/.exec(s.file)?.[1];
    const pos = bigintOf(s.pos);
    if (fileIndex === undefined || pos === undefined) return undefined;
    const row = bigintOf(s.row) ?? 0n;
    return {
      point: `binlog:${s.file}:${pos}:${row}`,
      sequence: `${sortable(fileIndex, 10)}:${sortable(pos)}:${sortable(row, 6)}`,
    };
  }
  return undefined;
}

/**
 * What identifies a Debezium change, where it was read and its order. Throws
 * UnidentifiableChange when the rule needs something the event does not carry.
 */
export function debeziumPosition(change: DebeziumChange, key: unknown, rule: IdentityRule): ChangePosition {
  const s = change.source;
  const system = String(s.name ?? 'unknown');
  const entity = [s.db, s.schema, s.table].filter((p) => p !== undefined && p !== null && p !== '').join('.');
  if (key === null || key === undefined)
    throw new UnidentifiableChange(
      'the change has no message key (the row key identifies a change): is the table without a primary key?',
    );
  const keyText = stableJson(key);
  const log = logPosition(change);
  const snapshot = isSnapshotRead(change);
  const sequence = log?.sequence ?? '';
  let identity: string;
  if (rule.kind === 'value') identity = `row:${keyText}@${rule.value}`;
  else if (rule.kind === 'row' || change.op === 'c' || change.op === 'r') identity = `row:${keyText}`;
  else {
    if (!log)
      throw new UnidentifiableChange(
        `an ${change.op === 'u' ? 'update' : 'delete'} without a log position (no LSN, no binlog file and position) cannot be told from another change of its row`,
      );
    identity = `${change.op}:${log.point}:${keyText}`;
  }
  if (!log)
    throw new UnidentifiableChange(
      'the change carries no log position (no LSN, no binlog file and position): its order cannot be known',
    );
  return { system, entity, change: identity, sequence, snapshot };
}
