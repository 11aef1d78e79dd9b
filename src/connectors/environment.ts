import type { StocklineConfig } from '../config/schema.js';
import { stackLayout } from '../dev/stack/layout.js';
import { readSecrets, type StackSecrets } from '../dev/stack/secrets.js';

/** Connector placeholders that the local stack fills from its generated secrets (stack.home/secrets.env). */
const STACK_SECRET_PLACEHOLDERS: Record<string, keyof StackSecrets> = {
  STORE_PG_DEBEZIUM_PASSWORD: 'STORE_PG_DEBEZIUM_PASSWORD',
  SAP_PG_DEBEZIUM_PASSWORD: 'STORE_PG_DEBEZIUM_PASSWORD',
  STORE_MARIADB_DEBEZIUM_PASSWORD: 'STORE_MARIADB_DEBEZIUM_PASSWORD',
};

const fromProcess = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));

/**
 * Whether `connect.url` is the local stack's Connect worker (loopback, the stack's port): only
 * then do the stack's hosts, ports and generated secrets stand in for unset placeholders.
 */
export function talksToLocalStack(config: StocklineConfig): boolean {
  try {
    const url = new URL(config.connect.url);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    return loopback && Number(url.port) === config.stack.connect.port;
  } catch {
    return false;
  }
}

/**
 * The values connector placeholders resolve against: the process environment first (what
 * production sets), then, only when the Connect worker is the local stack's, the stack's hosts,
 * ports and generated secrets, so that the shipped connector files work against
 * `stockline stack up` with no variables set. Against any other Connect worker nothing falls
 * back to the stack's files: an unset placeholder is an error that names it.
 */
export function connectorEnvironment(
  config: StocklineConfig,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  if (!talksToLocalStack(config)) return fromProcess(env);
  const secrets = readSecrets(stackLayout(config).secretsFile);
  const stack: Record<string, string | undefined> = {
    KAFKA_BOOTSTRAP_SERVERS: config.kafka.brokers.join(','),
    STORE_PG_HOST: '127.0.0.1',
    STORE_PG_PORT: String(config.stack.postgres.port),
    SAP_PG_HOST: '127.0.0.1',
    SAP_PG_PORT: String(config.stack.postgres.port),
    STORE_MARIADB_HOST: '127.0.0.1',
    STORE_MARIADB_PORT: String(config.stack.mariadb.port),
    ...Object.fromEntries(
      Object.entries(STACK_SECRET_PLACEHOLDERS).map(([placeholder, secret]) => [
        placeholder,
        secrets[secret],
      ]),
    ),
  };
  return { ...stack, ...fromProcess(env) };
}

/**
 * The secret placeholders that have no value yet because the local stack has not generated its
 * secrets (no `stockline stack up` on this machine) and the environment does not set them. The
 * local checks accept them as declared: `stack up` creates them, production sets them.
 */
export function secretsStackUpWillGenerate(
  config: StocklineConfig,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (!talksToLocalStack(config)) return [];
  const resolved = connectorEnvironment(config, env);
  return Object.keys(STACK_SECRET_PLACEHOLDERS).filter((name) => !resolved[name]);
}
