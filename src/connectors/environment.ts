import type { StocklineConfig } from '../config/schema.js';

/**
 * Values for connector placeholders that the environment leaves unset, supplied by whoever
 * runs the command: nothing in production; the local stack's hosts, ports and generated
 * secrets on a development machine (src/dev/stack/connector-defaults.ts, handed in by
 * src/cli/dev-commands.ts). The product never reads the stack's files itself.
 */
export interface PlaceholderDefaults {
  /** Values for placeholders the environment does not set. */
  values(config: Readonly<StocklineConfig>): Record<string, string | undefined>;
  /**
   * Secret placeholders that have no value yet but will (the local stack generates them at
   * `stack up`): the local checks accept them as declared.
   */
  pending(config: Readonly<StocklineConfig>, env: NodeJS.ProcessEnv): string[];
  /** What to tell the user about the pending ones. */
  pendingHint: string;
}

const fromProcess = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));

/**
 * The values connector placeholders resolve against: the process environment first (what
 * production sets), then the defaults handed in. An unset placeholder with no default is an
 * error that names it (connector-file.ts).
 */
export function connectorEnvironment(
  defaults: Record<string, string | undefined> = {},
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  return { ...defaults, ...fromProcess(env) };
}
