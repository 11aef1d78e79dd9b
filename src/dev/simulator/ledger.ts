import { stockKey } from '../../canonical/identity.js';
import type { StockEffect } from './effects.js';
import { Exact } from './exact.js';
import type { Micros } from './source-time.js';

export interface ExpectedRow {
  sku: string;
  location: string;
  /** Exact decimal text without trailing zeros: "12.5", "-3", "0". */
  quantity: string;
  unit: string;
}

interface KeyState {
  sku: string;
  location: string;
  quantity: Exact;
  unit: string;
  /** occurredAt of the last level: what occurred before it is already in it. */
  levelAsOf: Micros | null;
}

/**
 * The stock that stock effects add up to, per SKU x location, with the materializer's rules:
 * a movement adds its signed quantity; a level sets the quantity as of its occurredAt, and an
 * effect that occurred before the key's last level changes nothing (the count included it).
 */
export class ExpectedLedger {
  private readonly keys = new Map<string, KeyState>();

  apply(effect: StockEffect): void {
    const key = stockKey(effect.sku, effect.location);
    let state = this.keys.get(key);
    if (!state) {
      state = {
        sku: effect.sku,
        location: effect.location,
        quantity: new Exact(0),
        unit: effect.unit,
        levelAsOf: null,
      };
      this.keys.set(key, state);
    }
    // A count includes what occurred up to its time (and a level equal to it changes nothing).
    if (state.levelAsOf !== null && effect.occurredAt <= state.levelAsOf) return;
    if (effect.type === 'level') {
      state.quantity = new Exact(effect.quantity);
      state.levelAsOf = effect.occurredAt;
      state.unit = effect.unit;
      return;
    }
    // The simulator writes every key in its item's base unit; anything else is a simulator bug.
    if (effect.unit !== state.unit)
      throw new Error(`${key}: a movement in ${effect.unit} on stock kept in ${state.unit}`);
    state.quantity = state.quantity.plus(effect.quantity);
  }

  applyAll(effects: Iterable<StockEffect>): void {
    for (const effect of effects) this.apply(effect);
  }

  quantityOf(sku: string, location: string): Exact | undefined {
    return this.keys.get(stockKey(sku, location))?.quantity;
  }

  get size(): number {
    return this.keys.size;
  }

  /** Every key an effect reached, sorted by SKU then location. */
  rows(): ExpectedRow[] {
    return [...this.keys.values()]
      .map((s) => ({ sku: s.sku, location: s.location, quantity: s.quantity.toFixed(), unit: s.unit }))
      .sort((a, b) => (a.sku === b.sku ? compare(a.location, b.location) : compare(a.sku, b.sku)));
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
