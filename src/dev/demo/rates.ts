// Rates from growing counters: each sample records the counters at a time, and the rate is the
// growth over a short window (a few seconds), so that a value shown once a second neither
// jumps with every 100 ms tick of the simulator nor lags far behind a change of pace.

export interface CounterSample<K extends string> {
  atMs: number;
  counts: Readonly<Record<K, number>>;
}

export class RateMeter<K extends string> {
  private readonly samples: CounterSample<K>[] = [];

  constructor(private readonly windowMs = 3000) {}

  add(atMs: number, counts: Readonly<Record<K, number>>): void {
    this.samples.push({ atMs, counts: { ...counts } });
    // Keep one sample at or before the window's start, so the window is always covered.
    while (this.samples.length > 2 && this.samples[1]!.atMs <= atMs - this.windowMs) this.samples.shift();
  }

  /** Per second over the window; 0 until two samples exist, or for a counter that went down. */
  rate(key: K): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.atMs <= first.atMs) return 0;
    const growth = (last.counts[key] ?? 0) - (first.counts[key] ?? 0);
    return growth > 0 ? (growth * 1000) / (last.atMs - first.atMs) : 0;
  }
}
