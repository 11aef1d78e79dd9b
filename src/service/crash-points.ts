// Crash points for the no-loss, no-duplicate tests: a role kills itself where a test tells it to.
import { ConfigError } from '../errors.js';

/** Called at each crash point; does not return when it is the one to die at. */
export type CrashHook<P extends string> = (point: P) => void;

/**
 * The hook `STOCKLINE_CRASH_AT=<point>[:<n>]` asks for: SIGKILL of this process the n-th time
 * (1 when absent) the role reaches the point, one of `points`. Undefined when the variable is
 * unset, so that a role in production pays nothing but one comparison per step.
 */
export function crashHookFromEnv<P extends string>(
  points: readonly P[],
  env: NodeJS.ProcessEnv = process.env,
): CrashHook<P> | undefined {
  const spec = env.STOCKLINE_CRASH_AT;
  if (spec === undefined || spec === '') return undefined;
  const [point = '', times = '1'] = spec.split(':');
  const n = Number(times);
  if (!(points as readonly string[]).includes(point) || !Number.isInteger(n) || n < 1)
    throw new ConfigError(
      `STOCKLINE_CRASH_AT is ${spec}: expected <point>[:<n>], point one of ${points.join(', ')}, n a positive integer`,
      { keys: ['STOCKLINE_CRASH_AT'] },
    );
  let seen = 0;
  return (at) => {
    if (at === point && ++seen === n) process.kill(process.pid, 'SIGKILL');
  };
}
