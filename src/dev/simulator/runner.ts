// Paces the generated activity into the sources: every tick, the writes whose planned time has
// come are written in one batch per source (one transaction, one produce request), so that high
// rates cost a few round trips per tick rather than one per event.
import { setTimeout as sleep } from 'node:timers/promises';
import { RemoteError } from '../../errors.js';
import { stockEffects } from './effects.js';
import type { ActivityGenerator } from './generator.js';
import type { ExpectedLedger } from './ledger.js';
import { MICROS_PER_MILLI, MICROS_PER_SECOND, type Micros } from './source-time.js';
import type { SourceWriter } from './writers/port.js';
import { SOURCE_NAMES, targetOf, type SourceName, type SourceWrite } from './writes.js';

export interface RunPlan {
  /** Target writes per second; event i is planned at start + i / rate. */
  rate: number;
  /** Stop after this many writes. */
  events?: number;
  /** Stop after this long on the wall clock, however many writes that made. */
  durationMs?: number;
}

/** Rows written per source and table: inserted, and updated in place. */
export type WriteCounts = Record<SourceName, Record<string, { inserted: number; updated: number }>>;

export interface RunProgress {
  elapsedMs: number;
  written: number;
  bySource: Record<SourceName, number>;
  targetRate: number;
  /** How far the last written event's planned time lies behind the wall clock. */
  behindMs: number;
  inTransit: number;
}

export interface RunResult extends RunProgress {
  counts: WriteCounts;
  outcome: 'complete' | 'interrupted' | 'failed';
  error?: unknown;
  startedAt: Micros;
}

/** A tick: long enough to batch, short enough that the events' times stay close to their commit. */
const TICK_MS = 100;
/**
 * A batch covers at most this much planned time, also when the run is behind. It must stay
 * well under the generator's count freeze: then no batch holds a count and a later movement of
 * the same item at the same location, whose order across tables no transaction could promise.
 */
const MAX_BATCH_SPAN_SECONDS = 0.5;
const MAX_BATCH_WRITES = 50_000;

export interface RunInput {
  generator: ActivityGenerator;
  writers: Readonly<Record<SourceName, SourceWriter>>;
  /** Receives the effects of every committed write, in commit order per source. */
  ledger: ExpectedLedger;
  plan: RunPlan;
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  /** The wall clock in microseconds (tests replace it). */
  clock?: () => Micros;
}

const wallClock = (): Micros => Math.round((performance.timeOrigin + performance.now()) * MICROS_PER_MILLI);

export function emptyCounts(): WriteCounts {
  return { 'store-pg': {}, 'store-maria': {}, sap: {}, mainframe: {} };
}

export async function runSimulation(input: RunInput): Promise<RunResult> {
  const { generator, writers, ledger, plan, signal, onProgress } = input;
  const clock = input.clock ?? wallClock;
  if (!(plan.rate > 0)) throw new Error(`rate must be positive, not ${plan.rate}`);
  const durationUs = plan.durationMs === undefined ? undefined : plan.durationMs * MICROS_PER_MILLI;
  const planned = Math.min(
    plan.events ?? Infinity,
    durationUs === undefined ? Infinity : Math.ceil((durationUs * plan.rate) / MICROS_PER_SECOND),
  );
  if (!Number.isFinite(planned)) throw new Error('a run needs a number of events or a duration');
  const maxBatch = Math.max(1, Math.min(MAX_BATCH_WRITES, Math.floor(plan.rate * MAX_BATCH_SPAN_SECONDS)));

  const start = clock();
  const counts = emptyCounts();
  const bySource: Record<SourceName, number> = { 'store-pg': 0, 'store-maria': 0, sap: 0, mainframe: 0 };
  let written = 0;
  let index = 0;
  let lastAt = 0;
  let behindMs = 0;
  let outcome: RunResult['outcome'] = 'complete';
  let error: unknown;
  const progress = (): RunProgress => ({
    elapsedMs: (clock() - start) / MICROS_PER_MILLI,
    written,
    bySource: { ...bySource },
    targetRate: plan.rate,
    behindMs,
    inTransit: generator.inTransit,
  });

  const account = (source: SourceName, committed: readonly SourceWrite[]) => {
    for (const w of committed) {
      ledger.applyAll(stockEffects(w));
      const { table, change } = targetOf(w);
      const row = (counts[source][table] ??= { inserted: 0, updated: 0 });
      row[change]++;
    }
    bySource[source] += committed.length;
    written += committed.length;
  };
  // Late commits (SAP): each document in a transaction of its own, committed after later writes.
  const held = new Set<Promise<void>>();
  let heldFailure: unknown;
  const hold = (writes: readonly SourceWrite[], holdMs: number) => {
    const source = writes[0]!.system;
    const writer = writers[source];
    const done = (writer.writeHeld ? writer.writeHeld(writes, holdMs) : writer.write(writes)).then(
      () => account(source, writes),
      (e: unknown) => {
        heldFailure ??= sourceFailure(source, e);
      },
    );
    const tracked = done.finally(() => held.delete(tracked));
    held.add(tracked);
  };

  while (index < planned) {
    if (signal?.aborted) {
      outcome = 'interrupted';
      break;
    }
    if (heldFailure !== undefined) {
      outcome = 'failed';
      error = heldFailure;
      break;
    }
    const tickStart = clock();
    const elapsed = tickStart - start;
    if (durationUs !== undefined && elapsed >= durationUs) break;
    const due = Math.min(
      planned,
      Math.floor((elapsed * plan.rate) / MICROS_PER_SECOND) + 1,
      index + maxBatch,
    );
    if (due > index) {
      const batch: SourceWrite[] = [];
      while (index < due) {
        const at = Math.max(lastAt + 1, start + Math.floor((index * MICROS_PER_SECOND) / plan.rate));
        lastAt = at;
        const writes = generator.next(at, planned - index);
        batch.push(...writes);
        index += writes.length;
      }
      const failure = await writeBatch(lateCommits(batch, hold), writers, account);
      behindMs = Math.max(0, (clock() - lastAt) / MICROS_PER_MILLI);
      if (failure !== undefined) {
        outcome = 'failed';
        error = failure;
        break;
      }
    }
    onProgress?.(progress());
    const rest = tickStart + TICK_MS * MICROS_PER_MILLI - clock();
    // When behind, go on at once (a yield still lets Ctrl-C through).
    await sleep(Math.max(0, rest / MICROS_PER_MILLI));
  }
  // The late commits still open commit when their time is up; a stopped run commits them now.
  if (held.size > 0) {
    const releaseAll = () => Object.values(writers).forEach((w) => w.release?.());
    if (outcome !== 'complete' || signal?.aborted) releaseAll();
    else signal?.addEventListener('abort', releaseAll, { once: true });
    while (held.size > 0) {
      await Promise.race([Promise.allSettled([...held]), sleep(TICK_MS)]);
      onProgress?.(progress());
    }
    signal?.removeEventListener('abort', releaseAll);
  }
  if (heldFailure !== undefined && outcome !== 'failed') {
    outcome = 'failed';
    error = heldFailure;
  }
  return { ...progress(), counts, outcome, error, startedAt: start };
}

/**
 * Hands the writes of late-committing documents to `hold`, one call per document (its lines
 * share a transaction), and returns the rest.
 */
function lateCommits(
  batch: readonly SourceWrite[],
  hold: (writes: readonly SourceWrite[], holdMs: number) => void,
): SourceWrite[] {
  const prompt: SourceWrite[] = [];
  const documents = new Map<string, { writes: SourceWrite[]; holdMs: number }>();
  for (const w of batch) {
    if (w.kind !== 'matdoc' || w.holdMs === undefined) {
      prompt.push(w);
      continue;
    }
    const key = `${w.row.MANDT}/${w.row.MJAHR}/${w.row.MBLNR}`;
    const document = documents.get(key) ?? { writes: [], holdMs: w.holdMs };
    document.writes.push(w);
    documents.set(key, document);
  }
  for (const { writes, holdMs } of documents.values()) hold(writes, holdMs);
  return prompt;
}

function sourceFailure(source: SourceName, reason: unknown): RemoteError {
  return new RemoteError(
    `writing to ${source} failed: ${reason instanceof Error ? reason.message : String(reason)}`,
    { source },
    { retriable: false, cause: reason },
  );
}

/**
 * Writes a batch, each source's part in parallel with the others and in order within itself.
 * `committed` runs for each source whose write succeeded; the first failure is returned.
 */
async function writeBatch(
  batch: readonly SourceWrite[],
  writers: Readonly<Record<SourceName, SourceWriter>>,
  committed: (source: SourceName, writes: readonly SourceWrite[]) => void,
): Promise<unknown> {
  const bySource = new Map<SourceName, SourceWrite[]>();
  for (const w of batch) {
    const list = bySource.get(w.system) ?? [];
    list.push(w);
    bySource.set(w.system, list);
  }
  const sources = SOURCE_NAMES.filter((s) => bySource.has(s));
  const results = await Promise.allSettled(sources.map((s) => writers[s].write(bySource.get(s)!)));
  let failure: unknown;
  results.forEach((result, i) => {
    const source = sources[i]!;
    if (result.status === 'fulfilled') committed(source, bySource.get(source)!);
    else failure ??= sourceFailure(source, result.reason);
  });
  return failure;
}
