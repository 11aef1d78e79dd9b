// Every role of the service, as `stockline run`, the demo and the benchmark start them. Adding a
// role: its folder with options.ts (compile<Role>Options), service.ts (its start function) and
// role.ts (its entry), and one line in ROLES below.
import { apiRole } from '../api/role.js';
import { captureRole } from '../capture/role.js';
import type { StocklineConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { mapperRole } from '../mapper/role.js';
import { materializerRole } from '../materializer/role.js';
import { replicatorRole } from '../replicator/role.js';
import type { Logger } from '../observability/logger.js';
import type { Role, RoleHandle } from '../service/role.js';

/**
 * In starting order: `stockline run` without --role starts every one its configuration enables.
 * The roles that bring a source's records to Kafka come first, so that they create their raw
 * topics as they need them (the replicator: one partition, for the queue's order; the SAP
 * capture: its raw topics and its one-partition state topic) before the
 * mapper creates the missing ones it reads with its own default.
 */
export const ROLES = {
  'mq-replicator': replicatorRole,
  'sap-capture': captureRole,
  mapper: mapperRole,
  materializer: materializerRole,
  api: apiRole,
} as const;

export type RoleName = keyof typeof ROLES;
export type OptionsOf<N extends RoleName> = (typeof ROLES)[N] extends Role<infer O, infer _S> ? O : never;
export type StatsOf<N extends RoleName> = (typeof ROLES)[N] extends Role<infer _O, infer S> ? S : never;

export const ROLE_NAMES = Object.keys(ROLES) as RoleName[];

export function isRoleName(name: string): name is RoleName {
  return Object.hasOwn(ROLES, name);
}

/** The roles `stockline run` starts without --role: those the configuration enables. */
export function enabledRoles(config: Readonly<StocklineConfig>): RoleName[] {
  return ROLE_NAMES.filter((n) => (ROLES[n] as Role<unknown>).enabled?.(config) ?? true);
}

/** The roles of these names, or a UsageError naming the unknown ones and the known ones. */
export function rolesNamed(names: readonly string[]): RoleName[] {
  const unknown = names.filter((n) => !isRoleName(n));
  if (unknown.length > 0)
    throw new UsageError(`unknown role ${unknown.join(', ')}; roles: ${ROLE_NAMES.join(', ')}`);
  return names as RoleName[];
}

/**
 * One role started with its options compiled from `config` (the benchmark's child, scripts).
 * Tests start a role from its own modules instead (compile<Role>Options, then its start
 * function): mocha requires test files through tsx's CommonJS hook, and the role module this
 * loads with import() would then be a second copy, with its own metrics registry.
 */
export async function startRole<N extends RoleName>(
  name: N,
  config: Readonly<StocklineConfig>,
  log: Logger,
): Promise<RoleHandle<StatsOf<N>>> {
  // One cast, where the name picks the entry: TypeScript cannot follow N from ROLES[N] to its types.
  const role = ROLES[name] as unknown as Role<unknown, StatsOf<N>>;
  const options = role.compile(config);
  return (await role.load())(options, log);
}
