// A seeded stream of canonical events over many keys, and the stock it must produce, computed
// independently of the materializer: event by event, with a set of applied ids per key.
import { Decimal } from 'decimal.js';
import { LEVEL, MOVEMENT, type CanonicalEvent, type Reason } from '../../src/canonical/event.js';
import { eventId, sortable, stockKey } from '../../src/canonical/identity.js';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface StreamOptions {
  seed: number;
  events: number;
  skus: string[];
  locations: string[];
  /** Share of levels (physical counts) among the events. */
  levels?: number;
  /** Share of movements that arrive late, having occurred before the key's latest events. */
  late?: number;
}

const SYSTEMS = ['store-pg', 'sap'] as const;
const MOVEMENT_REASONS: Reason[] = ['sale', 'return', 'receipt', 'goods_issue', 'adjustment'];
const Dec = Decimal.clone({ precision: 64 });

export function generateStream(options: StreamOptions): CanonicalEvent[] {
  const rand = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const clocks = new Map<string, number>();
  const counters: Record<string, number> = { 'store-pg': 0, sap: 0 };
  const base = Date.parse('2024-05-01T00:00:00Z');
  const events: CanonicalEvent[] = [];
  const namespace = options.skus[0] ?? '';
  for (let i = 0; i < options.events; i++) {
    const sku = pick(options.skus);
    const location = pick(options.locations);
    const key = stockKey(sku, location);
    const clock =
      (clocks.get(key) ?? base + Math.floor(rand() * 3600) * 1000) + (1 + Math.floor(rand() * 60)) * 1000;
    clocks.set(key, clock);
    const isLevel = rand() < (options.levels ?? 0.01);
    const isLate = !isLevel && rand() < (options.late ?? 0.03);
    const system = isLevel ? 'store-pg' : pick(SYSTEMS);
    const counter = ++counters[system]!;
    const occurredAt = new Date(isLate ? clock - (1 + Math.floor(rand() * 900)) * 1000 : clock).toISOString();
    const quantity = isLevel
      ? String(Math.floor(rand() * 200))
      : `${Math.floor(rand() * 41) - 20}${rand() < 0.25 ? `.${Math.floor(rand() * 1000)}` : ''}`;
    const entity = isLevel
      ? 'store.public.stock_on_hand'
      : system === 'sap'
        ? 'sapabap1.MATDOC'
        : 'store.public.sale_lines';
    // Ids derive from the source position, and the materializer remembers applied ids across
    // runs: positions are namespaced by the run's SKUs so one run's events never pass for another's.
    const position = `${namespace}/${counter}`;
    const mapping = isLevel ? 'test-levels' : 'test-movements';
    events.push({
      id: eventId(system, entity, position, mapping, 0),
      source: `/stockline/${system}/${entity}`,
      type: isLevel ? LEVEL : MOVEMENT,
      time: occurredAt,
      subject: key,
      data: {
        sku,
        location,
        quantity,
        unit: 'EA',
        reason: isLevel ? 'count' : pick(MOVEMENT_REASONS),
        occurredAt,
        // One system's events reach a key from several tables and raw partitions, so their
        // sequences arrive out of order: nothing may be taken for a re-delivery because of it.
        source: {
          system,
          entity,
          position,
          sequence: sortable(Math.max(1, counter * 10 + Math.floor(rand() * 20_000) - 10_000)),
        },
        mapping,
      },
    });
  }
  return events;
}

export interface ExpectedRow {
  onHand: Decimal;
  version: number;
  levelAsOf: number | null;
}

/**
 * The stock the events must give: a movement adds; a level sets the stock as of its time (the
 * movements that occurred after it stay on top, whichever arrived first) and bars what occurred
 * at or before it; an id seen before changes nothing. Plain, one event at a time, no batching.
 */
export function expectedStock(events: readonly CanonicalEvent[]): Map<string, ExpectedRow> {
  type Row = ExpectedRow & { ids: Set<string>; after: { at: number; quantity: string }[] };
  const rows = new Map<string, Row>();
  for (const e of events) {
    const key = stockKey(e.data.sku, e.data.location);
    const row: Row = rows.get(key) ?? {
      onHand: new Dec(0),
      version: 0,
      levelAsOf: null,
      ids: new Set<string>(),
      after: [],
    };
    rows.set(key, row);
    if (row.ids.has(e.id)) continue;
    row.ids.add(e.id);
    const at = Date.parse(e.data.occurredAt);
    if (row.levelAsOf !== null && at <= row.levelAsOf) continue;
    if (e.type === LEVEL) {
      row.after = row.after.filter((m) => m.at > at);
      row.onHand = row.after.reduce((q, m) => q.plus(m.quantity), new Dec(e.data.quantity));
      row.levelAsOf = at;
    } else {
      row.onHand = row.onHand.plus(e.data.quantity);
      row.after.push({ at, quantity: e.data.quantity });
    }
    row.version++;
  }
  return new Map([...rows].map(([k, { onHand, version, levelAsOf }]) => [k, { onHand, version, levelAsOf }]));
}
