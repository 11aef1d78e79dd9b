// Crash points for the no-loss, no-duplicate test: the capture kills itself where told to.
import { ConfigError } from '../errors.js';

/**
 * Where the SAP capture can be told to die (env STOCKLINE_CRASH_AT), one per gap between the
 * steps of a transaction: after reading rows from SAP; between the records and the state records
 * of the Kafka transaction; with everything sent and the transaction not committed; after the
 * commit (before the capture's memory took it in); in the sweep, after it found late rows; in the
 * initial load, after reading the cut.
 */
export const CRASH_POINTS = [
  'after-read',
  'during-produce',
  'before-kafka-commit',
  'after-kafka-commit',
  'during-sweep',
  'during-initial-load',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Called at each crash point; does not return when it is the one to die at. */
export type CrashHook = (point: CrashPoint) => void;

const isCrashPoint = (s: string): s is CrashPoint => (CRASH_POINTS as readonly string[]).includes(s);

/**
 * The hook `STOCKLINE_CRASH_AT=<point>[:<n>]` asks for: SIGKILL of this process the n-th time
 * (1 when absent) the capture reaches the point. Undefined when the variable is unset.
 */
export function crashHookFromEnv(env: NodeJS.ProcessEnv = process.env): CrashHook | undefined {
  const spec = env.STOCKLINE_CRASH_AT;
  if (spec === undefined || spec === '') return undefined;
  const [point = '', times = '1'] = spec.split(':');
  const n = Number(times);
  if (!isCrashPoint(point) || !Number.isInteger(n) || n < 1)
    throw new ConfigError(
      `STOCKLINE_CRASH_AT is ${spec}: expected <point>[:<n>], point one of ${CRASH_POINTS.join(', ')}, n a positive integer`,
      { keys: ['STOCKLINE_CRASH_AT'] },
    );
  let seen = 0;
  return (at) => {
    if (at === point && ++seen === n) process.kill(process.pid, 'SIGKILL');
  };
}
