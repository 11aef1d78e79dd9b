// The command line of `stockline simulate`, checked all at once and with every default filled
// in, so that the expectation file records exactly what ran.
import { randomInt } from 'node:crypto';
import { UsageError } from '../../errors.js';
import {
  DEFAULT_COUNT_FREEZE_SECONDS,
  DEFAULT_SAP_LATE_SHARE,
  DEFAULT_SAP_MAX_HOLD_SECONDS,
  SAP_MIN_HOLD,
} from './generator.js';
import { MICROS_PER_SECOND } from './source-time.js';
import { checkRunId, newRunId } from './world.js';

/** What the user typed (commander hands over strings). */
export interface SimulateFlags {
  events?: string;
  duration?: string;
  rate?: string;
  seed?: string;
  runId?: string;
  stores?: string;
  warehouses?: string;
  items?: string;
  countFreeze?: string;
  sapLateShare?: string;
  sapMaxHold?: string;
  expectFile?: string;
}

export interface SimulateOptions {
  events?: number;
  durationMs?: number;
  rate: number;
  seed: number;
  runId: string;
  stores: number;
  warehouses: number;
  items: number;
  countFreezeSeconds: number;
  /** Share of SAP documents committed late (their transaction held open). */
  sapLateShare: number;
  /** The longest a late commit's transaction stays open. */
  sapMaxHoldSeconds: number;
  expectFile?: string;
}

export const SIMULATE_DEFAULTS = {
  rate: 1000,
  stores: 6,
  warehouses: 2,
  items: 500,
  countFreezeSeconds: DEFAULT_COUNT_FREEZE_SECONDS,
  sapLateShare: DEFAULT_SAP_LATE_SHARE,
  sapMaxHoldSeconds: DEFAULT_SAP_MAX_HOLD_SECONDS,
} as const;

const MAX_RATE = 1_000_000;
/** A count freezes its bin longer than a batch spans and than SAP's one-second entry times. */
const MIN_COUNT_FREEZE_SECONDS = 2;

/** "90", "90s", "1500ms", "2m", "1.5h" -> milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--${flag} "${text}" is not a duration (for example 90s, 2m, 1h)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * factor;
  if (ms <= 0) throw new UsageError(`--${flag} "${text}" must be longer than zero`);
  return ms;
}

function count(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}

function positive(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${flag} must be a number from ${min} to ${max}, not "${text}"`);
  return n;
}

export function parseSimulateFlags(flags: SimulateFlags): SimulateOptions {
  if ((flags.events === undefined) === (flags.duration === undefined))
    throw new UsageError('give either --events N or --duration D (with --rate R)');
  const options: SimulateOptions = {
    rate: positive('rate', flags.rate, SIMULATE_DEFAULTS.rate, 0.1, MAX_RATE),
    // Without --seed a fresh one, printed and recorded so that the run can be repeated.
    seed: count('seed', flags.seed, randomInt(2 ** 31), 0, 2 ** 32 - 1),
    runId: flags.runId === undefined ? newRunId() : checkRunId(flags.runId),
    stores: count('stores', flags.stores, SIMULATE_DEFAULTS.stores, 1, 198),
    warehouses: count('warehouses', flags.warehouses, SIMULATE_DEFAULTS.warehouses, 1, 2),
    items: count('items', flags.items, SIMULATE_DEFAULTS.items, 1, 99_999),
    countFreezeSeconds: positive(
      'count-freeze',
      flags.countFreeze,
      SIMULATE_DEFAULTS.countFreezeSeconds,
      MIN_COUNT_FREEZE_SECONDS,
      3600,
    ),
    sapLateShare: positive('sap-late-share', flags.sapLateShare, SIMULATE_DEFAULTS.sapLateShare, 0, 1),
    sapMaxHoldSeconds:
      flags.sapMaxHold === undefined
        ? SIMULATE_DEFAULTS.sapMaxHoldSeconds
        : parseDuration(flags.sapMaxHold, 'sap-max-hold') / 1000,
  };
  if (options.sapMaxHoldSeconds * MICROS_PER_SECOND < SAP_MIN_HOLD)
    throw new UsageError(
      `--sap-max-hold must be at least ${SAP_MIN_HOLD / MICROS_PER_SECOND} s, not "${flags.sapMaxHold}"`,
    );
  if (flags.events !== undefined) options.events = count('events', flags.events, 0, 1, 1_000_000_000);
  if (flags.duration !== undefined) options.durationMs = parseDuration(flags.duration);
  if (flags.expectFile !== undefined) options.expectFile = flags.expectFile;
  return options;
}
