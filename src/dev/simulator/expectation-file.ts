// The expected final stock of a simulation run, as a JSON file: what `stockline verify` checks
// the stock table against. Written by `stockline simulate`, one file per run.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import type { StocklineConfig } from '../../config/schema.js';
import { stackLayout } from '../stack/layout.js';
import { displayPath } from '../../shared/display-path.js';
import { ExpectationFileError } from './errors.js';

export const EXPECTATION_FORMAT = 'stockline.simulation.expected/v1';

const Counts = Type.Record(
  Type.String(),
  Type.Record(Type.String(), Type.Object({ inserted: Type.Integer(), updated: Type.Integer() })),
);

export const ExpectationSchema = Type.Object({
  format: Type.Literal(EXPECTATION_FORMAT),
  runId: Type.String({ minLength: 1 }),
  /** Every SKU of the run starts with it: the stock rows to compare are those. */
  skuPrefix: Type.String({ minLength: 1 }),
  options: Type.Object({
    seed: Type.Integer(),
    rate: Type.Number(),
    events: Type.Optional(Type.Integer()),
    durationSeconds: Type.Optional(Type.Number()),
    stores: Type.Integer(),
    warehouses: Type.Integer(),
    items: Type.Integer(),
    countFreezeSeconds: Type.Number(),
    sapLateShare: Type.Optional(Type.Number()),
    sapMaxHoldSeconds: Type.Optional(Type.Number()),
  }),
  run: Type.Object({
    startedAt: Type.String(),
    finishedAt: Type.String(),
    elapsedSeconds: Type.Number(),
    events: Type.Integer(),
    achievedRate: Type.Number(),
    outcome: Type.Union([Type.Literal('complete'), Type.Literal('interrupted'), Type.Literal('failed')]),
    error: Type.Optional(Type.String()),
    /** Transfer lines shipped and not received when the run ended: out of stock at the sender only. */
    inTransit: Type.Integer(),
  }),
  /** Rows written per source and table. */
  counts: Counts,
  /** Per "sku@location": the quantity (exact decimal) and unit the stock table must show. */
  stock: Type.Record(
    Type.String(),
    Type.Object({ quantity: Type.String({ pattern: '^-?\\d+(\\.\\d+)?$' }), unit: Type.String() }),
  ),
});

export type Expectation = Static<typeof ExpectationSchema>;

const validate = new Ajv({ allErrors: true, strict: false }).compile<Expectation>(ExpectationSchema);

export function simulationsDir(config: Readonly<StocklineConfig>): string {
  return path.join(stackLayout(config).home, 'simulations');
}

export function defaultExpectationPath(config: Readonly<StocklineConfig>, runId: string): string {
  return path.join(simulationsDir(config), `${runId}.expected.json`);
}

export function writeExpectation(file: string, expectation: Expectation): void {
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, `${JSON.stringify(expectation, null, 1)}\n`);
  } catch (e) {
    throw new ExpectationFileError(
      `cannot write the expected stock to ${displayPath(file)}: ${(e as Error).message}`,
      { file },
      e,
    );
  }
}

export function readExpectation(file: string): Expectation {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExpectationFileError(
      `cannot read expected-stock file ${displayPath(file)}: ${(e as Error).message}`,
      { file },
      e,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ExpectationFileError(`${displayPath(file)} is not JSON: ${(e as Error).message}`, { file }, e);
  }
  if (!validate(value)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    throw new ExpectationFileError(
      `${displayPath(file)} is not an expected-stock file of stockline simulate (${EXPECTATION_FORMAT}): ${problems.join('; ')}`,
      { file },
    );
  }
  return value;
}

/** The newest expected-stock file in the simulations folder. */
export function latestExpectationFile(config: Readonly<StocklineConfig>): string {
  const dir = simulationsDir(config);
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.expected.json'));
  } catch {
    /* no folder: no file, said below */
  }
  const newest = files
    .map((f) => path.join(dir, f))
    .map((f) => ({ f, mtime: statSync(f).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)[0];
  if (!newest)
    throw new ExpectationFileError(
      `no expected-stock file in ${displayPath(dir)}: run stockline simulate first, or give --expect-file`,
      { file: dir },
    );
  return newest.f;
}
