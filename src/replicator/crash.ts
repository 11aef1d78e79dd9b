// Crash points for the no-loss, no-duplicate test: the replicator kills itself where told to.
import { ConfigError } from '../errors.js';

/**
 * Where a replicator can be told to die (env STOCKLINE_CRASH_AT), one per gap between the steps
 * of a batch: after the get; between two sends of the Kafka transaction; with every record sent
 * and the transaction not committed; after the Kafka commit and before the queue commit (the
 * gap the state record closes); after the queue commit; and while recovery discards a message
 * that is already in Kafka.
 */
export const CRASH_POINTS = [
  'after-get',
  'during-produce',
  'before-kafka-commit',
  'after-kafka-commit',
  'after-queue-commit',
  'during-recovery',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Called at each crash point; does not return when it is the one to die at. */
export type CrashHook = (point: CrashPoint) => void;

const isCrashPoint = (s: string): s is CrashPoint => (CRASH_POINTS as readonly string[]).includes(s);

/**
 * The hook `STOCKLINE_CRASH_AT=<point>[:<n>]` asks for: SIGKILL of this process the n-th time
 * (1 when absent) the replicator reaches the point. Undefined when the variable is unset, so
 * that a replicator in production pays nothing but one comparison per step.
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
