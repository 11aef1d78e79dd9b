import { expect } from 'chai';
import { stockKey } from '../canonical/identity.js';
import type { KeyStart, LedgerEntry } from '../stock/model.js';
import { Quantity } from '../stock/quantity.js';
import { level, movement } from '../../test/support/materializer-events.js';
import type { MaterializerEvent } from './event.js';
import { planBatch, type BatchPlan } from './plan.js';

interface Row {
  onHand: Quantity;
  unit: string;
  levelAsOf: string | null;
  version: number;
}

/** The store's rules in memory: what applyBatchPostgres does in SQL, for one process. */
class MemoryStore {
  rows = new Map<string, Row>();
  /** Per key: the movements applied after its barrier. */
  ledger = new Map<string, LedgerEntry[]>();

  starts(): Map<string, KeyStart> {
    const result = new Map<string, KeyStart>();
    for (const [key, row] of this.rows)
      result.set(key, { unit: row.unit, levelAsOf: row.levelAsOf, ledger: this.ledger.get(key) ?? [] });
    return result;
  }

  private inLedger(id: string): boolean {
    for (const entries of this.ledger.values()) if (entries.some((e) => e.eventId === id)) return true;
    return false;
  }

  guardsHold(plan: BatchPlan): boolean {
    if (plan.ledger.some((m) => this.inLedger(m.eventId))) return false;
    for (const c of plan.changes) {
      const key = stockKey(c.sku, c.location);
      const row = this.rows.get(key);
      if (!c.guard) continue;
      const level = c.level;
      if (level && (this.ledger.get(key) ?? []).some((e) => e.occurredAt > level.asOf)) return false;
      if (!row) continue;
      if (row.levelAsOf !== null && row.levelAsOf >= c.guard.earliestEventAt) return false;
      if (c.guard.unit !== null && row.unit !== c.guard.unit) return false;
    }
    return true;
  }

  apply(plan: BatchPlan): void {
    for (const c of plan.changes) {
      const key = stockKey(c.sku, c.location);
      const row = this.rows.get(key);
      const base = c.level ? new Quantity(c.level.quantity) : (row?.onHand ?? new Quantity(0));
      const level = c.level;
      if (level)
        this.ledger.set(
          key,
          (this.ledger.get(key) ?? []).filter((e) => e.occurredAt > level.asOf),
        );
      this.rows.set(key, {
        onHand: base.plus(c.delta),
        unit: c.unit,
        levelAsOf: c.level?.asOf ?? row?.levelAsOf ?? null,
        version: (row?.version ?? 0) + c.applied,
      });
    }
    for (const m of plan.ledger) {
      if (!m.record) continue;
      const key = stockKey(m.sku, m.location);
      this.ledger.set(key, [...(this.ledger.get(key) ?? []), m]);
    }
  }

  /** What the materializer does with one batch: optimistic first, exact when a guard fails. */
  applyBatch(events: MaterializerEvent[]): 'optimistic' | 'exact' {
    const optimistic = planBatch(events, []);
    if (this.guardsHold(optimistic)) {
      this.apply(optimistic);
      return 'optimistic';
    }
    this.apply(planBatch(this.fresh(events), [], this.starts()));
    return 'exact';
  }

  fresh(events: MaterializerEvent[]): MaterializerEvent[] {
    return events.filter((e) => !this.inLedger(e.id));
  }

  snapshot(): Record<string, string> {
    return Object.fromEntries(
      [...this.rows].map(([k, r]) => [k, `${r.onHand.toFixed()} ${r.unit} v${r.version} ${r.levelAsOf}`]),
    );
  }
}

/** A small seeded generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stream(rand: () => number, n: number): MaterializerEvent[] {
  const events: MaterializerEvent[] = [];
  const seq = { pos: 0, sap: 0 };
  for (let i = 0; i < n; i++) {
    const sku = `SKU${Math.floor(rand() * 4)}`;
    const system = rand() < 0.7 ? 'pos' : 'sap';
    const sequence = String(++seq[system]).padStart(8, '0');
    const minute = String(Math.floor(i / 2) % 60).padStart(2, '0');
    const lateMinute = String(Math.max(0, (Math.floor(i / 2) % 60) - 5)).padStart(2, '0');
    const at = `${String(8 + Math.floor(i / 120)).padStart(2, '0')}:${rand() < 0.1 ? lateMinute : minute}`;
    const quantity = String(Math.floor(rand() * 21) - 10) + (rand() < 0.3 ? '.25' : '');
    const e =
      rand() < 0.08
        ? level(String(Math.floor(rand() * 50)), at, { sku, system, sequence })
        : movement(quantity, at, { sku, system, sequence });
    events.push(e);
    // Debezium re-delivery: sometimes the same change comes again, now or a little later.
    if (rand() < 0.15) events.splice(Math.max(0, events.length - Math.floor(rand() * 6)), 0, e);
  }
  return events;
}

describe('materializer batch plan', () => {
  it('groups per key and keeps one change per key, with guards when it has not read the rows', () => {
    const a = movement('1', '08:00', { sku: 'A' });
    const b = movement('2', '08:01', { sku: 'B', system: 'sap', sequence: '5' });
    const plan = planBatch([a, b, movement('3', '08:02', { sku: 'A' }), a], []);
    expect(plan.changes.map((c) => [c.sku, c.delta, c.applied])).to.deep.equal([
      ['A', '4', 2],
      ['B', '2', 1],
    ]);
    expect(plan.counts).to.deep.include({ events: 4, applied: 3, duplicates: 1 });
    expect(plan.ledger.map((m) => m.eventId)).to.have.length(3);
    expect(plan.earliestEventAt).to.equal(a.occurredAt);
    expect(plan.changes[0]!.guard).to.deep.include({ earliestEventAt: a.occurredAt, unit: 'EA' });
  });

  it('made with the rows read first it has no guards and skips what a stored level bars', () => {
    const starts = new Map<string, KeyStart>([
      [stockKey('SKU1', 'S001'), { unit: 'EA', levelAsOf: '2024-05-01T08:00:30.000000Z', ledger: [] }],
    ]);
    const plan = planBatch([movement('1', '08:00'), movement('2', '08:01')], [], starts);
    expect(plan.changes).to.have.length(1);
    expect(plan.changes[0]).to.deep.include({ delta: '2', applied: 1, guard: null });
  });

  it('gives the same rows however the stream is cut into batches (duplicates, late events, levels)', () => {
    const paths = { optimistic: 0, exact: 0 };
    for (let seed = 1; seed <= 40; seed++) {
      const rand = random(seed);
      const events = stream(rand, 300);
      const oneByOne = new MemoryStore();
      for (const e of events) oneByOne.apply(planBatch(oneByOne.fresh([e]), [], oneByOne.starts()));
      const batched = new MemoryStore();
      for (let i = 0; i < events.length;) {
        const size = 1 + Math.floor(rand() * 40);
        paths[batched.applyBatch(events.slice(i, i + size))]++;
        i += size;
      }
      expect(batched.snapshot(), `seed ${seed}`).to.deep.equal(oneByOne.snapshot());
    }
    // Both ways of applying a batch were exercised.
    expect(paths.optimistic).to.be.greaterThan(100);
    expect(paths.exact).to.be.greaterThan(100);
  });

  it('ends with the same stock whatever order the events arrive in: the last count by time plus what occurred after it', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = random(seed);
      // Distinct times per key (two counts at one instant would be a tie), then shuffled.
      const events: MaterializerEvent[] = [];
      for (let i = 0; i < 120; i++) {
        const at = `${String(8 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`;
        const sku = `SKU${i % 3}`;
        events.push(
          rand() < 0.1
            ? level(String(Math.floor(rand() * 50)), at, { sku })
            : movement(String(Math.floor(rand() * 21) - 10), at, { sku }),
        );
      }
      const expected = new Map<string, string>();
      for (const sku of ['SKU0', 'SKU1', 'SKU2']) {
        const mine = events.filter((e) => e.sku === sku);
        const last = mine
          .filter((e) => e.type === 'level')
          .sort((a, b) => (a.occurredAt < b.occurredAt ? 1 : -1))[0];
        let q = last ? last.quantity : new Quantity(0);
        for (const e of mine)
          if (e.type === 'movement' && (!last || e.occurredAt > last.occurredAt)) q = q.plus(e.quantity);
        expected.set(sku, q.toFixed());
      }
      const shuffled = [...events];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      // Every event delivered twice, the second time much later (a replay).
      const store = new MemoryStore();
      const arrivals = [...shuffled, ...shuffled.slice(0, 60)];
      for (let i = 0; i < arrivals.length;) {
        const size = 1 + Math.floor(rand() * 25);
        store.applyBatch(arrivals.slice(i, i + size));
        i += size;
      }
      for (const [sku, quantity] of expected)
        expect(
          store.rows.get(stockKey(sku, 'S001'))?.onHand.toFixed() ?? '0',
          `seed ${seed} ${sku}`,
        ).to.equal(quantity);
    }
  });
});
