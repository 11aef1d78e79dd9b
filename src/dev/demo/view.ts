// What the demo shows once a second, and how: a small screen for a terminal, one plain line for
// a log. Pure functions of a snapshot, so that the layout is tested without a terminal.
import type { SourceName } from '../simulator/writes.js';

export const SOURCE_LABELS: Record<SourceName, string> = {
  'store-pg': 'store-pg',
  'store-maria': 'store-maria',
  sap: 'SAP',
  mainframe: 'mainframe',
};

export interface SourceRow {
  source: SourceName;
  /** Rows and records the simulator wrote into this source. */
  written: number;
  writtenPerSecond: number;
  /** Messages waiting in the source before its way to Kafka: the mainframe's queue depth. */
  queued?: number;
  /** Records arriving on the source's raw topics (Debezium, the MQ replicator). */
  capturedPerSecond?: number;
  /** Records on its raw topics that the mapper group has not committed yet. */
  mapperLag?: bigint;
}

export interface PopularItem {
  sku: string;
  unit: string;
  /** On hand per location, exact decimal text. */
  byLocation: Record<string, string>;
  total: string;
}

export interface DemoSnapshot {
  runId: string;
  seed: number;
  targetRate: number;
  durationMs?: number;
  /** Since the simulator's first write. */
  elapsedMs: number;
  sources: SourceRow[];
  /** How far the simulator runs behind its plan (it cannot write as fast as asked). */
  behindMs: number;
  mapper?: { inPerSecond: number; outPerSecond: number; deadLetters: number };
  /** The MQ replicator's figures (the queue depth sampled at most once a second). */
  replicator?: { perSecond: number; queueDepth: number; deadLetters: number; recoveryDiscards: number };
  mapperLag?: bigint;
  materializerLag?: bigint;
  /** Why lag is not shown (Kafka did not answer in time). */
  lagProblem?: string;
  popular: PopularItem[];
  /** Why stock is not shown. */
  stockProblem?: string;
}

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const count = (n: number | bigint | undefined) => (n === undefined ? '-' : whole.format(n));

/** 83_000 -> "1:23"; 3_723_000 -> "1:02:03". */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Columns padded to their widest cell, two spaces apart; `right` aligns numbers. */
export function columns(rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The sum over the sources; undefined when no source has the figure. */
const sum = (rows: readonly SourceRow[], pick: (r: SourceRow) => number | undefined) =>
  rows.some((r) => pick(r) !== undefined) ? rows.reduce((total, r) => total + (pick(r) ?? 0), 0) : undefined;

function lagText(lag: bigint | undefined, problem: string | undefined): string {
  if (lag !== undefined) return count(lag);
  return problem ? '?' : '-';
}

/** Every location any of the items has stock at, in order (DC01, S001 ..., W001 ...). */
function locationsOf(items: readonly PopularItem[]): string[] {
  return [...new Set(items.flatMap((i) => Object.keys(i.byLocation)))].sort();
}

/** The screen for a terminal: lines no wider than `width`. */
export function renderScreen(s: DemoSnapshot, width = 120): string[] {
  const plan = s.durationMs === undefined ? 'until Ctrl-C' : `for ${clock(s.durationMs)}`;
  const lines = [
    `stockline demo  run ${s.runId}  seed ${s.seed}  ${count(s.targetRate)} events/s ${plan}  ${clock(s.elapsedMs)}` +
      (s.behindMs >= 1000 ? `  (simulator ${(s.behindMs / 1000).toFixed(1)} s behind)` : ''),
    '',
    ...columns(
      [
        ['source', 'written/s', 'written', 'queued', 'on Kafka/s', 'mapper lag'],
        ...s.sources.map((r) => [
          SOURCE_LABELS[r.source],
          count(r.writtenPerSecond),
          count(r.written),
          r.queued === undefined ? '' : count(r.queued),
          count(r.capturedPerSecond),
          lagText(r.mapperLag, s.lagProblem),
        ]),
        [
          'all',
          count(sum(s.sources, (r) => r.writtenPerSecond)),
          count(sum(s.sources, (r) => r.written)),
          s.sources.some((r) => r.queued !== undefined) ? count(sum(s.sources, (r) => r.queued)) : '',
          count(sum(s.sources, (r) => r.capturedPerSecond)),
          lagText(s.mapperLag, s.lagProblem),
        ],
      ],
      [false, true, true, true, true, true],
    ),
    '',
    s.mapper
      ? `mapper        ${count(s.mapper.inPerSecond)} records/s in, ${count(s.mapper.outPerSecond)} events/s out, ${count(s.mapper.deadLetters)} dead letters, lag ${lagText(s.mapperLag, s.lagProblem)}`
      : 'mapper        starting',
    ...(s.replicator
      ? [
          `MQ replicator ${count(s.replicator.perSecond)} messages/s to Kafka, queue depth ${count(s.replicator.queueDepth)}, ${count(s.replicator.deadLetters)} dead letters, ${count(s.replicator.recoveryDiscards)} duplicates discarded`,
        ]
      : []),
    `materializer  lag ${lagText(s.materializerLag, s.lagProblem)} events` +
      (s.lagProblem ? `  (lag unknown: ${s.lagProblem})` : ''),
    '',
  ];
  if (s.stockProblem) lines.push(`popular items: ${s.stockProblem}`);
  else if (s.popular.every((i) => Object.keys(i.byLocation).length === 0))
    lines.push('popular items: no stock rows yet');
  else {
    const locations = locationsOf(s.popular);
    lines.push(
      ...columns(
        [
          ['on hand', ...locations, 'total'],
          ...s.popular.map((i) => [
            `${i.sku} ${i.unit}`,
            ...locations.map((l) => i.byLocation[l] ?? ''),
            i.total,
          ]),
        ],
        [false, ...locations.map(() => true), true],
      ),
    );
  }
  return lines.map((l) => (l.length > width ? `${l.slice(0, Math.max(0, width - 1))}…` : l));
}

/** One line for a log or CI: the same figures, no redrawing. */
export function plainLine(s: DemoSnapshot): string {
  const sources = s.sources
    .map((r) => `${SOURCE_LABELS[r.source]} ${count(r.writtenPerSecond)}/s`)
    .join(', ');
  const written = sum(s.sources, (r) => r.written) ?? 0;
  const rate = sum(s.sources, (r) => r.writtenPerSecond) ?? 0;
  const replicator = s.replicator
    ? `MQ queue depth ${count(s.replicator.queueDepth)}, replicator ${count(s.replicator.perSecond)}/s; `
    : '';
  const mapper = s.mapper ? `mapper ${count(s.mapper.inPerSecond)}/s in, ` : '';
  const lag = `mapper lag ${lagText(s.mapperLag, s.lagProblem)}, materializer lag ${lagText(s.materializerLag, s.lagProblem)}`;
  const top = s.popular[0];
  const stock =
    s.stockProblem ??
    (top && Object.keys(top.byLocation).length > 0
      ? `${top.sku} ${top.total} ${top.unit} in ${Object.keys(top.byLocation).length} locations`
      : 'no stock rows yet');
  return `demo ${clock(s.elapsedMs)}: written ${count(written)} (${count(rate)}/s: ${sources}); ${replicator}${mapper}${lag}; ${stock}`;
}
