// Quantiles from a Prometheus histogram's cumulative buckets, interpolated within the bucket
// as PromQL's histogram_quantile does: the figures operators would see on their dashboards.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export interface Bucket {
  le: number;
  count: number;
}

/** The cumulative buckets of one histogram, summed over its label sets (for example systems). */
export function bucketsOf(
  metrics: MetricObjectWithValues<MetricValue<string>>[],
  name: string,
  where: (labels: Record<string, string | number>) => boolean = () => true,
): Bucket[] {
  const metric = metrics.find((m) => m.name === name);
  const sums = new Map<number, number>();
  for (const v of metric?.values ?? []) {
    if (
      (v as { metricName?: string }).metricName !== `${name}_bucket` ||
      !where(v.labels as Record<string, string | number>)
    )
      continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    sums.set(le, (sums.get(le) ?? 0) + v.value);
  }
  return [...sums].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** The q-quantile (0..1); null without observations. Above the last finite bound: that bound. */
export function quantile(buckets: Bucket[], q: number): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}
