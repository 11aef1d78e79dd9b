import { Quantity, formatQuantity } from '../quantity.js';
import type { Knex } from 'knex';
import { stockKey } from '../../canonical/identity.js';
import type { ApplyResult, KeyStart, StockBatch, StockRow } from '../model.js';
import { storedRejection } from '../rejected-bytes.js';
import { TABLES, UNKNOWN } from '../tables.js';
import { Bindings, isoUtc } from './sql.js';

/**
 * One batch in ONE statement, so one round trip and one implicit transaction: the stock rows,
 * the totals per SKU, region and location kind, the ledger of movements applied after their
 * key's barrier (the memory of what was applied), the rejected messages and the partition's
 * position all commit together or not at all.
 *
 * The position update is the fence: it only matches while the stored next offset is the one
 * the batch starts from, so a consumer that lost the partition in a rebalance writes nothing.
 * Every write reads the fence's result, so nothing is written unless it matched. The checks of
 * an optimistic plan (no event applied before, no stored level or unit that it did not expect)
 * come before the fence; when one fails nothing is written, and the ids applied before and the
 * keys' stored state come back instead. The checks: no movement already in the ledger, no stored
 * level at or after the batch's events, the unit the plan assumed, no ledger row after a level
 * of the batch (a late count: its movements after it must stay on top), and no event before the
 * ledger's horizon.
 *
 * Rows are changed with INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE (one row per
 * key: the caller aggregated the batch per key). Totals move by the difference between the new
 * and the old row, summed per SKU (region, kind) first for the same reason. Inputs are sorted
 * by key so that concurrent batches lock rows in the same order.
 *
 * Old rows are read from the statement's snapshot. That is exact because a key lives on one
 * partition, and the fence admits one writer per partition; totals, shared across partitions,
 * are updated by adding to the current value instead.
 */
export async function applyBatchPostgres(db: Knex, batch: StockBatch): Promise<ApplyResult> {
  const { sql, bindings } = applyStatement(batch);
  const result = await db.raw<{ rows: ApplyRow[] }>(sql, bindings);
  const row = result.rows[0]!;
  if (row.applied) return { status: 'applied', rows: stockRowsOf(batch, row) };
  if (row.violated) {
    return {
      status: 'guard-failed',
      starts: startsOf(row.starts ?? []),
      appliedBefore: new Set(row.applied_before ?? []),
      horizon: row.horizon,
    };
  }
  return { status: 'fenced' };
}

/** The statement text and its bindings (separate, so that it can be explained and measured). */
export function applyStatement(batch: StockBatch): { sql: string; bindings: Knex.ValueDict } {
  const b = new Bindings();
  const changes = [...batch.changes].sort(byKey);
  const { groupId, topic, partition } = batch.partition;
  type Change = (typeof changes)[number];
  type Rejected = StockBatch['rejected'][number];
  const col = (f: (c: Change) => unknown, type: string) => b.bind(changes.map(f), type);
  const rcol = (f: (r: Rejected) => unknown, type: string) => b.bind(batch.rejected.map(f), type);
  const k = {
    sku: col((c) => c.sku, 'text[]'),
    location: col((c) => c.location, 'text[]'),
    levelQty: col((c) => c.level?.quantity ?? null, 'numeric[]'),
    levelAt: col((c) => c.level?.asOf ?? null, 'timestamptz[]'),
    unit: col((c) => c.unit, 'text[]'),
    delta: col((c) => c.delta, 'numeric[]'),
    applied: col((c) => c.applied, 'integer[]'),
    lastId: col((c) => c.last.eventId, 'text[]'),
    lastAt: col((c) => c.last.occurredAt, 'timestamptz[]'),
    guarded: col((c) => c.guard !== null, 'boolean[]'),
    guardAt: col((c) => c.guard?.earliestEventAt ?? null, 'timestamptz[]'),
    guardUnit: col((c) => c.guard?.unit ?? null, 'text[]'),
  };
  const stored = batch.rejected.map(storedRejection);
  const scol = (f: (s: (typeof stored)[number]) => unknown, type: string) => b.bind(stored.map(f), type);
  const r = {
    offset: rcol((x) => x.offset, 'bigint[]'),
    key: scol((x) => x.key, 'text[]'),
    eventId: rcol((x) => x.eventId, 'text[]'),
    reason: rcol((x) => x.reason, 'text[]'),
    value: scol((x) => x.value, 'text[]'),
    headers: scol((x) => x.headers, 'text[]'),
    keyBytes: scol((x) => x.keyBytes, 'bytea[]'),
    valueBytes: scol((x) => x.valueBytes, 'bytea[]'),
    headersBase64: scol((x) => x.headersBase64, 'boolean[]'),
  };
  type Moved = StockBatch['ledger'][number];
  const ledger = [...batch.ledger].sort(byKey);
  const mcol = (f: (m: Moved) => unknown, type: string) => b.bind(ledger.map(f), type);
  const m = {
    sku: mcol((x) => x.sku, 'text[]'),
    location: mcol((x) => x.location, 'text[]'),
    at: mcol((x) => x.occurredAt, 'timestamptz[]'),
    id: mcol((x) => x.eventId, 'text[]'),
    quantity: mcol((x) => x.quantity, 'numeric[]'),
    record: mcol((x) => x.record, 'boolean[]'),
  };
  const earliest = b.bind(batch.earliestEventAt, 'timestamptz');
  const fence = {
    next: b.bind(String(batch.next), 'bigint'),
    published: b.bind(String(batch.published), 'bigint'),
    groupId: b.bind(groupId, 'text'),
    topic: b.bind(topic, 'text'),
    partition: b.bind(partition, 'integer'),
    expectedNext: b.bind(String(batch.expectedNext), 'bigint'),
  };

  const sql = `
WITH
k AS (
  SELECT * FROM unnest(${k.sku}, ${k.location}, ${k.levelQty}, ${k.levelAt}, ${k.unit}, ${k.delta}, ${k.applied},
                       ${k.lastId}, ${k.lastAt}, ${k.guarded}, ${k.guardAt}, ${k.guardUnit})
    AS k(sku, location, level_qty, level_at, unit, delta, applied, last_id, last_at, guarded, guard_at, guard_unit)
),
old AS (
  SELECT k.*, s.on_hand AS old_on_hand, s.unit AS old_unit, s.level_as_of AS old_level_as_of,
         coalesce(l.region, '${UNKNOWN}') AS region, coalesce(l.kind, '${UNKNOWN}') AS location_kind
    FROM k
    LEFT JOIN LATERAL (
      SELECT s.on_hand, s.unit, s.level_as_of FROM ${TABLES.stock} s WHERE s.sku = k.sku AND s.location = k.location
      OFFSET 0 -- ${INDEX_PROBES}
    ) s ON true
    LEFT JOIN ${TABLES.locations} l ON l.id = k.location
),
m AS (
  SELECT * FROM unnest(${m.sku}, ${m.location}, ${m.at}, ${m.id}, ${m.quantity}, ${m.record})
    AS m(sku, location, occurred_at, event_id, quantity, record)
),
applied_before AS (
  SELECT m.event_id FROM m
    CROSS JOIN LATERAL (
      SELECT 1 FROM ${TABLES.ledger} l
       WHERE l.sku = m.sku AND l.location = m.location AND l.occurred_at = m.occurred_at AND l.event_id = m.event_id
      OFFSET 0 -- ${INDEX_PROBES}
    ) l
),
horizon AS (SELECT max(horizon) AS horizon FROM ${TABLES.ledgerHorizon}),
violation AS (
  (SELECT 1 FROM old
    WHERE guarded AND old_unit IS NOT NULL
      AND (old_level_as_of >= guard_at OR old_unit <> coalesce(guard_unit, old_unit))
    LIMIT 1)
  UNION ALL
  (SELECT 1 FROM applied_before LIMIT 1)
  UNION ALL
  -- A level that arrives after movements that occurred after it: planned again with them.
  (SELECT 1 FROM k
    WHERE guarded AND level_at IS NOT NULL
      AND EXISTS (SELECT 1 FROM ${TABLES.ledger} l
                   WHERE l.sku = k.sku AND l.location = k.location AND l.occurred_at > k.level_at)
    LIMIT 1)
  UNION ALL
  (SELECT 1 FROM horizon WHERE ${earliest} < horizon.horizon)
),
pos AS (
  UPDATE ${TABLES.positions}
     SET next_offset = ${fence.next}, published_offset = ${fence.published}, updated_at = now()
   WHERE group_id = ${fence.groupId} AND topic = ${fence.topic} AND kafka_partition = ${fence.partition}
     AND next_offset = ${fence.expectedNext}
     AND NOT EXISTS (SELECT 1 FROM violation)
  RETURNING 1
),
go AS (SELECT EXISTS (SELECT 1 FROM pos) AS ok),
new AS (
  SELECT old.*, CASE WHEN level_qty IS NOT NULL THEN level_qty ELSE coalesce(old_on_hand, 0) END + delta AS new_on_hand
    FROM old WHERE (SELECT ok FROM go)
),
up_stock AS (
  INSERT INTO ${TABLES.stock} AS s (sku, location, on_hand, unit, version, level_as_of, last_event_at, last_event_id,
                                   negative, updated_at)
  SELECT sku, location, new_on_hand, unit, applied, coalesce(level_at, old_level_as_of), last_at, last_id,
         new_on_hand < 0, now()
    FROM new ORDER BY sku, location
  ON CONFLICT (sku, location) DO UPDATE SET
    on_hand = excluded.on_hand, unit = excluded.unit, version = s.version + excluded.version,
    level_as_of = excluded.level_as_of, last_event_at = excluded.last_event_at, last_event_id = excluded.last_event_id,
    negative = excluded.negative, updated_at = excluded.updated_at
  RETURNING s.sku, s.location, s.on_hand, s.version, s.level_as_of
),
contrib AS (
  SELECT sku, region, location_kind,
         new_on_hand - coalesce(old_on_hand, 0) AS d_on_hand,
         CASE WHEN old_unit IS NULL THEN 1 ELSE 0 END AS d_locations,
         CASE WHEN new_on_hand < 0 THEN 1 ELSE 0 END - CASE WHEN old_on_hand < 0 THEN 1 ELSE 0 END AS d_negative
    FROM new
),
${totalsUpsert('up_totals', TABLES.totals, [])},
${totalsUpsert('up_region', TABLES.totalsByRegion, ['region'])},
${totalsUpsert('up_kind', TABLES.totalsByKind, ['location_kind'])},
-- A level includes what occurred up to its time: those ledger rows are no longer needed (a
-- replay of them is barred by the level), the rows after it stay. The two sets are disjoint.
del_ledger AS (
  DELETE FROM ${TABLES.ledger} l USING k
   WHERE (SELECT ok FROM go) AND k.level_at IS NOT NULL
     AND l.sku = k.sku AND l.location = k.location AND l.occurred_at <= k.level_at
  RETURNING 1
),
up_ledger AS (
  INSERT INTO ${TABLES.ledger} (sku, location, occurred_at, event_id, quantity)
  SELECT sku, location, occurred_at, event_id, quantity FROM m WHERE record AND (SELECT ok FROM go)
  ON CONFLICT DO NOTHING
  RETURNING 1
),
up_rejected AS (
  INSERT INTO ${TABLES.rejectedEvents}
         (group_id, topic, kafka_partition, kafka_offset, message_key, event_id, reason, message_value, message_headers,
          message_key_bytes, message_value_bytes, message_headers_base64, rejected_at)
  SELECT ${fence.groupId}, ${fence.topic}, ${fence.partition}, r.*, now()
    FROM unnest(${r.offset}, ${r.key}, ${r.eventId}, ${r.reason}, ${r.value}, ${r.headers},
                ${r.keyBytes}, ${r.valueBytes}, ${r.headersBase64})
      AS r(kafka_offset, message_key, event_id, reason, message_value, message_headers,
           message_key_bytes, message_value_bytes, message_headers_base64)
   WHERE (SELECT ok FROM go)
  ON CONFLICT (group_id, topic, kafka_partition, kafka_offset) DO NOTHING
  RETURNING 1
)
SELECT (SELECT ok FROM go) AS applied,
       EXISTS (SELECT 1 FROM violation) AS violated,
       -- Only what the batch does not know already: unit, last event and updated_at (now(), the
       -- same for the statement) are filled in from the batch (stockRowsOf).
       (SELECT json_agg(json_build_array(sku, location, trim_scale(on_hand)::text, version::text, level_as_of))
          FROM up_stock) AS rows,
       ${isoUtc('now()')} AS updated_at,
       CASE WHEN EXISTS (SELECT 1 FROM violation) THEN
         (SELECT json_agg(json_build_object('sku', sku, 'location', location, 'unit', old_unit,
                   'levelAsOf', ${isoUtc('old_level_as_of')},
                   -- For a key with a level: the movements applied after its earliest event.
                   'ledger', CASE WHEN level_at IS NOT NULL THEN
                     (SELECT json_agg(json_build_array(l.event_id, ${isoUtc('l.occurred_at')}, trim_scale(l.quantity)::text))
                        FROM ${TABLES.ledger} l
                       WHERE l.sku = old.sku AND l.location = old.location
                         AND l.occurred_at >= coalesce(old.guard_at, old.level_at))
                   END)) FROM old)
       END AS starts,
       (SELECT json_agg(event_id) FROM applied_before) AS applied_before,
       (SELECT ${isoUtc('horizon.horizon')} FROM horizon) AS horizon`;
  return { sql, bindings: b.values };
}

/**
 * Why the lookups of a batch's keys and ids are LATERAL subqueries with OFFSET 0: that keeps the
 * planner from pulling them up into a hash join, which read the whole stock (applied ids) table
 * for every batch: a cost growing with the table, 60 ms of a 250 ms batch at 200,000 rows.
 * One index probe per key (id) costs the same at any table size.
 */
const INDEX_PROBES = 'one index probe per row, see INDEX_PROBES';

interface ApplyRow {
  applied: boolean;
  violated: boolean;
  /** [sku, location, on hand (trim_scale: "12.5" as formatQuantity writes it), version, level_as_of (JSON)]. */
  rows: [string, string, string, string, string | null][] | null;
  updated_at: string;
  starts:
    | {
        sku: string;
        location: string;
        unit: string | null;
        levelAsOf: string | null;
        ledger: [string, string, string][] | null;
      }[]
    | null;
  applied_before: string[] | null;
  /** The ledger's horizon as an ISO instant, or null: none yet. */
  horizon: string | null;
}

function totalsUpsert(name: string, table: string, by: string[]): string {
  const keys = ['sku', ...by].join(', ');
  return `${name} AS (
  INSERT INTO ${table} AS t (${keys}, on_hand, locations, negative_locations, updated_at)
  SELECT ${keys}, sum(d_on_hand), sum(d_locations), sum(d_negative), now()
    FROM contrib GROUP BY ${keys} ORDER BY ${keys}
  ON CONFLICT (${keys}) DO UPDATE SET
    on_hand = t.on_hand + excluded.on_hand, locations = t.locations + excluded.locations,
    negative_locations = t.negative_locations + excluded.negative_locations, updated_at = excluded.updated_at
  RETURNING 1
)`;
}

/**
 * The changed rows as the stock topic shows them: what the statement returned, completed from the
 * batch (a row's unit and last event are the change's; updated_at is the statement's now()).
 * Building whole rows as JSON in the statement (to_char of three timestamps per row) cost up to a
 * sixth of its time.
 */
function stockRowsOf(batch: StockBatch, row: ApplyRow): StockRow[] {
  const changes = new Map(batch.changes.map((c) => [stockKey(c.sku, c.location), c]));
  return (row.rows ?? []).map(([sku, location, onHand, version, levelAsOf]) => {
    const change = changes.get(stockKey(sku, location))!;
    return {
      sku,
      location,
      onHand,
      unit: change.unit,
      version,
      negative: onHand.startsWith('-'),
      levelAsOf: levelAsOf === null ? null : isoFromJson(levelAsOf),
      lastEventAt: change.last.occurredAt,
      lastEventId: change.last.eventId,
      updatedAt: row.updated_at,
    };
  });
}

/**
 * A timestamptz as PostgreSQL writes it in JSON ("2024-05-01T10:00:00.12+00:00", fraction
 * trimmed, offset of the session's time zone) in the form instants take in the code
 * ("2024-05-01T10:00:00.120000Z").
 */
export function isoFromJson(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?([+-]\d{2}(?::\d{2}){0,2})$/.exec(text);
  if (!m) throw new Error(`unexpected timestamp ${text} from PostgreSQL`);
  const [, seconds, fraction = '', offset] = m as unknown as [string, string, string | undefined, string];
  const micros = fraction.padEnd(6, '0');
  if (offset === '+00' || offset === '+00:00') return `${seconds}.${micros}Z`;
  // Sessions run in UTC (db.ts); any other offset is converted, keeping the microseconds.
  const utc = new Date(`${seconds}${offset.length === 3 ? `${offset}:00` : offset}`).toISOString();
  return `${utc.slice(0, 19)}.${micros}Z`;
}

function startsOf(starts: NonNullable<ApplyRow['starts']>): Map<string, KeyStart> {
  const result = new Map<string, KeyStart>();
  for (const r of starts)
    result.set(stockKey(r.sku, r.location), {
      unit: r.unit,
      levelAsOf: r.levelAsOf,
      ledger: (r.ledger ?? []).map(([eventId, occurredAt, quantity]) => ({ eventId, occurredAt, quantity })),
    });
  return result;
}

/** numeric(24,6) reads back as "12.500000"; subscribers get the plain decimal "12.5". */
export function normalizeRow(row: StockRow): StockRow {
  return { ...row, onHand: formatQuantity(new Quantity(row.onHand)) };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byKey = (a: { sku: string; location: string }, b: { sku: string; location: string }): number =>
  compare(a.sku, b.sku) || compare(a.location, b.location);
