/**
 * Zipf-distributed ranks: rank k (0-based) is drawn with probability proportional to
 * 1 / (k + 1)^exponent. Retail sales follow this shape: a few items sell all the time, most
 * rarely. The cumulative table is built once; a draw is a binary search.
 */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(
    readonly size: number,
    readonly exponent = 1,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`Zipf over ${size} ranks`);
    this.cumulative = new Float64Array(size);
    let sum = 0;
    for (let k = 0; k < size; k++) {
      sum += 1 / Math.pow(k + 1, exponent);
      this.cumulative[k] = sum;
    }
    for (let k = 0; k < size; k++) this.cumulative[k]! /= sum;
  }

  /** The rank for a uniform draw `u` in [0, 1). */
  rank(u: number): number {
    let low = 0;
    let high = this.size - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (u < this.cumulative[mid]!) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}
