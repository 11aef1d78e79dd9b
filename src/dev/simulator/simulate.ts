// `stockline simulate` as a use case: prepare the sources, run the activity, write the expected
// stock. The CLI command (src/dev/cli/simulate.ts) only parses flags and prints.
import type { StocklineConfig } from '../../config/schema.js';
import { describeError } from '../../errors.js';
import {
  defaultExpectationPath,
  EXPECTATION_FORMAT,
  writeExpectation,
  type Expectation,
} from './expectation-file.js';
import { ActivityGenerator, defaultSettings, SAP_MIN_HOLD } from './generator.js';
import { ExpectedLedger } from './ledger.js';
import type { SimulateOptions } from './options.js';
import { runSimulation, type RunProgress, type RunResult } from './runner.js';
import { isoMicros, MICROS_PER_SECOND } from './source-time.js';
import type { RetryNotice } from './writers/retrying.js';
import { openSources, prepareSources } from './writers/sources.js';
import { sourceTargets, type SourceTargets } from './writers/targets.js';
import { buildWorld } from './world.js';

export interface SimulationReport {
  expectation: Expectation;
  file: string;
  result: RunResult;
}

export interface SimulateIo {
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  /** Called once the sources are ready, before the first write (the CLI says what runs). */
  onStart?: (info: { runId: string; skuPrefix: string; items: number }) => void;
  /** Where to write; the local stack by default. */
  targets?: SourceTargets;
  /** A batch failed for a transient reason (a source restarting) and is written again. */
  onRetry?: (notice: RetryNotice) => void;
}

export async function simulate(
  config: Readonly<StocklineConfig>,
  options: SimulateOptions,
  io: SimulateIo = {},
): Promise<SimulationReport> {
  const world = buildWorld(
    options.runId,
    { stores: options.stores, warehouses: options.warehouses, items: options.items },
    options.seed,
  );
  const sources = await openSources(io.targets ?? sourceTargets(config), { onRetry: io.onRetry });
  try {
    const { firstMaterialDocument } = await prepareSources(sources, world);
    const generator = new ActivityGenerator(world, options.seed, {
      ...defaultSettings(firstMaterialDocument),
      countFreeze: options.countFreezeSeconds * MICROS_PER_SECOND,
      sapLateShare: options.sapLateShare,
      sapHold: [
        SAP_MIN_HOLD,
        Math.max(SAP_MIN_HOLD, Math.round(options.sapMaxHoldSeconds * MICROS_PER_SECOND)),
      ],
    });
    const ledger = new ExpectedLedger();
    io.onStart?.({ runId: world.runId, skuPrefix: world.skuPrefix, items: world.items.length });
    const result = await runSimulation({
      generator,
      writers: sources.writers,
      ledger,
      plan: { rate: options.rate, events: options.events, durationMs: options.durationMs },
      signal: io.signal,
      onProgress: io.onProgress,
    });
    const expectation = expectationOf(options, world.skuPrefix, result, ledger);
    const file = options.expectFile ?? defaultExpectationPath(config, world.runId);
    writeExpectation(file, expectation);
    return { expectation, file, result };
  } finally {
    await sources.close();
  }
}

function expectationOf(
  options: SimulateOptions,
  skuPrefix: string,
  result: RunResult,
  ledger: ExpectedLedger,
): Expectation {
  const seconds = result.elapsedMs / 1000;
  const { expectFile: _file, durationMs, runId: _runId, ...rest } = options;
  return {
    format: EXPECTATION_FORMAT,
    runId: options.runId,
    skuPrefix,
    options: { ...rest, ...(durationMs === undefined ? {} : { durationSeconds: durationMs / 1000 }) },
    run: {
      startedAt: isoMicros(result.startedAt),
      finishedAt: isoMicros(result.startedAt + Math.round(result.elapsedMs * 1000)),
      elapsedSeconds: Math.round(seconds * 1000) / 1000,
      events: result.written,
      achievedRate: seconds > 0 ? Math.round(result.written / seconds) : 0,
      outcome: result.outcome,
      ...(result.error === undefined ? {} : { error: describeError(result.error) }),
      inTransit: result.inTransit,
    },
    counts: result.counts,
    stock: Object.fromEntries(
      ledger.rows().map((r) => [`${r.sku}@${r.location}`, { quantity: r.quantity, unit: r.unit }]),
    ),
  };
}
