// `stockline verify`: wait until the stock table has caught up with a simulation run, then
// compare every expected row with it, exactly.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { RemoteError } from '../../errors.js';
import { Exact } from './exact.js';
import type { Expectation } from './expectation-file.js';

/** A row of the stock table, on_hand as the exact decimal text the database returns. */
export interface StockReading {
  sku: string;
  location: string;
  onHand: string;
  unit: string;
}

export interface Difference {
  kind: 'differs' | 'missing' | 'unexpected';
  sku: string;
  location: string;
  expected?: { quantity: string; unit: string };
  actual?: { onHand: string; unit: string };
}

export interface Comparison {
  expected: number;
  matching: number;
  differences: Difference[];
}

const splitKey = (key: string) => {
  const at = key.lastIndexOf('@');
  return { sku: key.slice(0, at), location: key.slice(at + 1) };
};

/** Every expected row against the stock rows of the run's SKUs: same quantity (as a number) and unit. */
export function compareStock(expected: Expectation['stock'], actual: readonly StockReading[]): Comparison {
  const rows = new Map(actual.map((r) => [`${r.sku}@${r.location}`, r]));
  const differences: Difference[] = [];
  let matching = 0;
  for (const [key, want] of Object.entries(expected)) {
    const row = rows.get(key);
    if (!row) {
      differences.push({ kind: 'missing', ...splitKey(key), expected: want });
      continue;
    }
    rows.delete(key);
    if (new Exact(row.onHand).equals(want.quantity) && row.unit === want.unit) matching++;
    else
      differences.push({
        kind: 'differs',
        ...splitKey(key),
        expected: want,
        actual: { onHand: row.onHand, unit: row.unit },
      });
  }
  for (const row of rows.values())
    differences.push({
      kind: 'unexpected',
      sku: row.sku,
      location: row.location,
      actual: { onHand: row.onHand, unit: row.unit },
    });
  return { expected: Object.keys(expected).length, matching, differences };
}

export interface AwaitOptions {
  timeoutMs: number;
  /** Stop early when the rows have not changed for this long (and some have arrived). */
  settleMs: number;
  pollMs?: number;
  onPoll?: (comparison: Comparison, waitedMs: number) => void;
  now?: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

export interface AwaitResult {
  comparison: Comparison;
  waitedMs: number;
  /** matched: all rows equal; settled: rows stopped changing; timeout: neither in time. */
  ending: 'matched' | 'settled' | 'timeout';
}

function fingerprint(rows: readonly StockReading[]): string {
  const hash = createHash('sha1');
  for (const r of [...rows].sort((a, b) => (a.sku + a.location < b.sku + b.location ? -1 : 1)))
    hash.update(`${r.sku}@${r.location}=${r.onHand} ${r.unit}\n`);
  return hash.digest('hex');
}

/**
 * Polls the stock rows until they equal the expectation, or stop changing for `settleMs`
 * (the pipeline is idle: what differs now will keep differing), or the timeout. While no row
 * of the run has arrived it keeps waiting: the pipeline may still be working through a backlog.
 */
export async function awaitStock(
  read: () => Promise<StockReading[]>,
  expected: Expectation['stock'],
  options: AwaitOptions,
): Promise<AwaitResult> {
  const now = options.now ?? Date.now;
  const wait = options.wait ?? ((ms: number) => sleep(ms));
  const pollMs = options.pollMs ?? 1000;
  const start = now();
  let lastPrint = '';
  let lastChange = start;
  for (;;) {
    const rows = await read();
    const comparison = compareStock(expected, rows);
    const waitedMs = now() - start;
    options.onPoll?.(comparison, waitedMs);
    if (comparison.differences.length === 0) return { comparison, waitedMs, ending: 'matched' };
    const print = fingerprint(rows);
    if (print !== lastPrint) {
      lastPrint = print;
      lastChange = now();
    } else if (rows.length > 0 && now() - lastChange >= options.settleMs) {
      return { comparison, waitedMs, ending: 'settled' };
    }
    if (waitedMs >= options.timeoutMs) return { comparison, waitedMs, ending: 'timeout' };
    await wait(Math.min(pollMs, Math.max(0, options.timeoutMs - waitedMs)));
  }
}

/** Reads the stock rows of one run's SKUs (knex, any SQL database the stock table lives in). */
export function stockTableReader(db: Knex, skuPrefix: string): () => Promise<StockReading[]> {
  // The prefix is [A-Z0-9-]; escaping keeps LIKE literal should that ever change.
  const pattern = `${skuPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return async () => {
    try {
      const rows = await db('stock')
        .select<{ sku: string; location: string; on_hand: string | number; unit: string }[]>(
          'sku',
          'location',
          'on_hand',
          'unit',
        )
        .where('sku', 'like', pattern);
      // PostgreSQL returns NUMERIC as text; a driver that returns numbers would lose digits.
      return rows.map((r) => ({ sku: r.sku, location: r.location, onHand: String(r.on_hand), unit: r.unit }));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === '42P01')
        throw new RemoteError(
          'the stock table does not exist yet: start the materializer once (./stockline run --role materializer)',
          { table: 'stock' },
          { retriable: false, cause: e },
        );
      throw new RemoteError(
        `cannot read the stock table: ${(e as Error).message}`,
        { table: 'stock' },
        { cause: e },
      );
    }
  };
}

export function tally(c: Comparison): string {
  const of = (kind: Difference['kind']) => c.differences.filter((d) => d.kind === kind).length;
  return `${c.matching} match, ${of('differs')} differ, ${of('missing')} missing, ${of('unexpected')} unexpected`;
}

/** The differences as rows of a table: sku, location, expected, actual, kind. */
export function differenceRows(c: Comparison): string[][] {
  return c.differences.map((d) => [
    d.sku,
    d.location,
    d.expected ? `${d.expected.quantity} ${d.expected.unit}` : '(none)',
    d.actual ? `${d.actual.onHand} ${d.actual.unit}` : '(no row)',
    d.kind,
  ]);
}

/** Why the wait for the stock table ended, in words. */
export const ENDINGS: Record<AwaitResult['ending'], string> = {
  matched: 'all rows match',
  settled: 'the rows stopped changing',
  timeout: 'timed out',
};
