// The command line of `stockline demo`: the simulator's own options (parsed by the simulator,
// so that durations, rates and seeds read the same in both commands) and how long to verify.
import { UsageError } from '../../errors.js';
import { parseSimulateFlags, type SimulateOptions } from '../simulator/options.js';

export interface DemoFlags {
  duration?: string;
  rate?: string;
  seed?: string;
  stores?: string;
  warehouses?: string;
  items?: string;
  popular?: string;
  verifyTimeout?: string;
  settle?: string;
}

export interface DemoOptions {
  /** What the simulator runs; without --duration, its duration is a year and Ctrl-C ends it. */
  simulate: SimulateOptions;
  /** The --duration asked for; undefined: until Ctrl-C or SIGTERM. */
  durationMs?: number;
  /** How many of the run's most popular items the view shows. */
  popular: number;
  verifyTimeoutMs: number;
  settleMs: number;
}

export const DEMO_DEFAULTS = {
  /** Modest: every part keeps up on a laptop, and the view stays readable. */
  rate: 300,
  popular: 3,
  verifyTimeoutSeconds: 120,
  settleSeconds: 20,
} as const;

/** Long enough to mean "until stopped"; runSimulation needs an end. */
const UNTIL_STOPPED = '8760h';

function seconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback * 1000;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--${flag} must be a number of seconds, not "${text}"`);
  return n * 1000;
}

export function parseDemoFlags(flags: DemoFlags): DemoOptions {
  const simulate = parseSimulateFlags({
    duration: flags.duration ?? UNTIL_STOPPED,
    rate: flags.rate ?? String(DEMO_DEFAULTS.rate),
    seed: flags.seed,
    stores: flags.stores,
    warehouses: flags.warehouses,
    items: flags.items,
  });
  const popular = flags.popular === undefined ? DEMO_DEFAULTS.popular : Number(flags.popular);
  if (!Number.isInteger(popular) || popular < 0 || popular > 10)
    throw new UsageError(`--popular must be a whole number from 0 to 10, not "${flags.popular}"`);
  return {
    simulate,
    ...(flags.duration === undefined ? {} : { durationMs: simulate.durationMs }),
    popular: Math.min(popular, simulate.items),
    verifyTimeoutMs: seconds('verify-timeout', flags.verifyTimeout, DEMO_DEFAULTS.verifyTimeoutSeconds),
    settleMs: seconds('settle', flags.settle, DEMO_DEFAULTS.settleSeconds),
  };
}
