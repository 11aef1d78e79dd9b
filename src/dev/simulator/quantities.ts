import { milli } from '../samples/sample-data.js';
import type { SeededRandom } from './random.js';
import type { ItemUnit } from './world.js';

/**
 * How much of an item one activity moves: whole pieces for EA (a multiple of `step`, for
 * cases and cartons), thousandths for KG and L (scales weigh to the gram).
 */
export interface QuantityRange {
  EA: readonly [min: number, max: number, step?: number];
  KG: readonly [minThousandths: number, maxThousandths: number];
  L: readonly [minThousandths: number, maxThousandths: number];
}

/** A quantity with three decimals, as the store tables and WHMOVE keep it ("12.000", "0.350"). */
export function drawQuantity(random: SeededRandom, unit: ItemUnit, range: QuantityRange): string {
  if (unit === 'EA') {
    const [min, max, step = 1] = range.EA;
    return milli(random.int(Math.ceil(min / step), Math.floor(max / step)) * step * 1000);
  }
  const [min, max] = range[unit];
  return milli(random.int(min, max));
}

export const pieces = (n: number): string => milli(n * 1000);
