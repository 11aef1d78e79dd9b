import { expect } from 'chai';
import { stockKey } from '../canonical/identity.js';
import type { KeyStart } from '../stock/model.js';
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
  applied = new Set<string>();

  starts(): Map<string, KeyStart> {
    const result = new Map<string, KeyStart>();
    for (const [key, row] of this.rows) result.set(key, { unit: row.unit, levelAsOf: row.levelAsOf });
    return result;
  }

  guardsHold(plan: BatchPlan): boolean {
    if (plan.eventIds.some((id) => this.applied.has(id))) return false;
    for (const c of plan.changes) {
      const key = stockKey(c.sku, c.location);
      const row = this.rows.get(key);
      if (!c.guard || !row) continue;
      if (row.levelAsOf !== null && row.levelAsOf > c.guard.earliestEventAt) return false;
      if (c.guard.unit !== null && row.unit !== c.guard.unit) return false;
    }
    return true;
  }

  apply(plan: BatchPlan): void {
    for (const id of plan.eventIds) this.applied.add(id);
    for (const c of plan.changes) {
      const key = stockKey(c.sku, c.location);
      const row = this.rows.get(key);
      const base = c.level ? new Quantity(c.level.quantity) : (row?.onHand ?? new Quantity(0));
      this.rows.set(key, {
        onHand: base.plus(c.delta),
        unit: c.unit,
        levelAsOf: c.level?.asOf ?? row?.levelAsOf ?? null,
        version: (row?.version ?? 0) + c.applied,
      });
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
    return events.filter((e) => !this.applied.has(e.id));
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
    expect(plan.eventIds).to.have.length(3);
    expect(plan.changes[0]!.guard).to.deep.include({ earliestEventAt: a.occurredAt, unit: 'EA' });
  });

  it('made with the rows read first it has no guards and skips what a stored level bars', () => {
    const starts = new Map<string, KeyStart>([
      [stockKey('SKU1', 'S001'), { unit: 'EA', levelAsOf: '2024-05-01T08:00:30.000000Z' }],
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
});
