// Starting and stopping several roles in one process: `stockline run` and the demo.
import type { StocklineConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Role, RoleHandle } from '../service/role.js';
import { ROLES, type RoleName, type StatsOf } from './registry.js';

export interface RunningRole {
  name: RoleName;
  handle: RoleHandle;
}

/**
 * Compiles every role's options first, so that a configuration one of them refuses stops
 * everything before anything started; then starts them in order, each with a logger of its own.
 * When one fails to start, the ones started before it are stopped and its error is thrown.
 */
export async function startRoles(
  names: readonly RoleName[],
  config: Readonly<StocklineConfig>,
  log: Logger,
): Promise<RunningRole[]> {
  // Each entry's options type is its own; here they only pass from compile to start.
  const compiled = names.map((name) => {
    const role = ROLES[name] as unknown as Role;
    return { name, role, options: role.compile(config) };
  });
  const running: RunningRole[] = [];
  try {
    for (const { name, role, options } of compiled) {
      const start = await role.load();
      running.push({ name, handle: await start(options, log.child({ role: name })) });
    }
  } catch (e) {
    await stopRoles(running, log);
    throw e;
  }
  return running;
}

/** Stops them all at once; a role that fails to stop is logged, and does not keep the others running. */
export async function stopRoles(running: readonly RunningRole[], log: Logger): Promise<void> {
  const results = await Promise.allSettled(running.map((r) => r.handle.stop()));
  results.forEach((r, i) => {
    if (r.status === 'rejected') log.warn({ err: r.reason, role: running[i]?.name }, 'while stopping');
  });
}

/** The handle of a running role, with the figures of its kind; undefined when it does not run. */
export function handleOf<N extends RoleName>(
  running: readonly RunningRole[],
  name: N,
): RoleHandle<StatsOf<N>> | undefined {
  // The entry of that name was started from ROLES[name], whose figures are StatsOf<N>.
  return running.find((r) => r.name === name)?.handle as RoleHandle<StatsOf<N>> | undefined;
}
