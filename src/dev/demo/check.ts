// The demo's closing check: what `stockline verify` does (wait until the stock table has caught
// up with the run, compare every expected row exactly, print every difference), on the run the
// demo just made, scoped to that run's SKUs like verify.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import type { Expectation } from '../simulator/expectation-file.js';
import type { StatusLine } from '../simulator/progress.js';
import { awaitStock, stockTableReader, tally, type AwaitResult } from '../simulator/verify.js';

export interface CheckOptions {
  timeoutMs: number;
  settleMs: number;
  /** Aborting stops waiting: the check ends as `skipped`. */
  signal?: AbortSignal;
  status?: StatusLine;
}

export type CheckResult = (AwaitResult & { skipped?: false }) | { skipped: true };

export async function checkRun(
  db: Knex,
  expectation: Expectation,
  options: CheckOptions,
): Promise<CheckResult> {
  const { signal, status } = options;
  try {
    return await awaitStock(stockTableReader(db, expectation.skuPrefix), expectation.stock, {
      timeoutMs: options.timeoutMs,
      settleMs: options.settleMs,
      onPoll: (c, waited) => status?.update(() => `verify ${(waited / 1000).toFixed(0)} s: ${tally(c)}`),
      wait: (ms) => sleep(ms, undefined, { signal }),
    });
  } catch (e) {
    if (signal?.aborted) return { skipped: true };
    throw e;
  } finally {
    status?.done();
  }
}
