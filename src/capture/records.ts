// The Debezium JSON envelope the SAP capture writes, as Debezium's own connectors shape it
// (research/sap.md §A5), so that the mappings read the capture's records like any connector's.
import type { OutgoingRecord } from '../kafka/port.js';
import type { MatdocRow, SourceValues } from '../sap/port.js';

/** `source.version`: the envelope's version, not Debezium's. */
export const ENVELOPE_VERSION = 'stockline-sap-capture-1';
export const CONNECTOR = 'sap-hana';

/** Where the records go and what their source block says. */
export interface RecordTarget {
  /** sap.topicPrefix: `source.name`, the logical server name. */
  readonly name: string;
  /** The database (`source.db`). */
  readonly db: string;
  /** The schema as topics and `source.schema` name it: lower case (sapabap1). */
  readonly schema: string;
}

/** `<prefix>.<schema lower>.<TABLE>`, as Debezium names its topics. */
export const topicOf = (target: RecordTarget, table: string): string =>
  `${target.name}.${target.schema}.${table}`;

/** Debezium's `source.snapshot` values: absent while streaming. */
export type SnapshotMark = 'true' | 'last' | undefined;

function envelope(
  target: RecordTarget,
  table: string,
  op: 'c' | 'r',
  after: SourceValues,
  tsMs: number,
  sequence: readonly string[],
  snapshot: SnapshotMark,
  nowMs: number,
): string {
  return JSON.stringify({
    before: null,
    after,
    source: {
      version: ENVELOPE_VERSION,
      connector: CONNECTOR,
      name: target.name,
      ts_ms: tsMs,
      ...(snapshot === undefined ? {} : { snapshot }),
      db: target.db,
      schema: target.schema,
      table,
      sequence: JSON.stringify(sequence),
    },
    op,
    ts_ms: nowMs,
  });
}

/**
 * A MATDOC row as a change record: keyed by the business key {MANDT, MBLNR, MJAHR, ZEILE}, the
 * entry time as `source.ts_ms`, `source.sequence` = [entry, MANDT, MJAHR, MBLNR, ZEILE].
 */
export function matdocRecord(
  target: RecordTarget,
  table: string,
  row: MatdocRow,
  entryMs: number,
  op: 'c' | 'r',
  snapshot: SnapshotMark,
  nowMs: number,
): OutgoingRecord {
  const { MANDT, MBLNR, MJAHR, ZEILE } = row.key;
  return {
    topic: topicOf(target, table),
    key: JSON.stringify({ MANDT, MBLNR, MJAHR, ZEILE }),
    value: envelope(
      target,
      table,
      op,
      row.values,
      entryMs,
      [row.entry, MANDT, MJAHR, MBLNR, ZEILE],
      snapshot,
      nowMs,
    ),
    headers: {},
    timestamp: nowMs,
  };
}

/**
 * A MARD row of the initial load, read op `r`: keyed by {MANDT, MATNR, WERKS, LGORT}, as of
 * `asOfMs` (source.ts_ms), `source.sequence` = [as-of entry time, MANDT, MATNR, WERKS, LGORT].
 */
export function mardRecord(
  target: RecordTarget,
  table: string,
  values: SourceValues,
  asOfEntry: string,
  asOfMs: number,
  snapshot: SnapshotMark,
  nowMs: number,
): OutgoingRecord {
  const text = (c: string) => values[c] ?? '';
  const key = { MANDT: text('MANDT'), MATNR: text('MATNR'), WERKS: text('WERKS'), LGORT: text('LGORT') };
  return {
    topic: topicOf(target, table),
    key: JSON.stringify(key),
    value: envelope(
      target,
      table,
      'r',
      values,
      asOfMs,
      [asOfEntry, key.MANDT, key.MATNR, key.WERKS, key.LGORT],
      snapshot,
      nowMs,
    ),
    headers: {},
    timestamp: nowMs,
  };
}
