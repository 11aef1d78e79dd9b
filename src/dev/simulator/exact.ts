import { Decimal } from 'decimal.js';

/**
 * Exact decimals for expected stock. decimal.js rounds to 20 significant digits by default;
 * this copy keeps 64 so that no sum of a long run ever rounds, and never prints an exponent.
 */
export const Exact = Decimal.clone({ precision: 64, toExpNeg: -64, toExpPos: 64 });
export type Exact = InstanceType<typeof Exact>;

/** Fixed notation with at least `scale` decimals, and no "-0": how source columns print amounts. */
export function fixed(value: Exact, scale = 3): string {
  const text = value.toFixed(Math.max(scale, value.decimalPlaces()));
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}
