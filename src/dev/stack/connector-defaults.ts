import type { StocklineConfig } from '../../config/schema.js';
import { connectorEnvironment, type PlaceholderDefaults } from '../../connectors/environment.js';
import { stackLayout } from './layout.js';
import { readSecrets, type StackSecrets } from './secrets.js';

/** Connector placeholders that the local stack fills from its generated secrets (stack.home/secrets.env). */
const STACK_SECRET_PLACEHOLDERS: Record<string, keyof StackSecrets> = {
  STORE_PG_DEBEZIUM_PASSWORD: 'STORE_PG_DEBEZIUM_PASSWORD',
  STORE_MARIADB_DEBEZIUM_PASSWORD: 'STORE_MARIADB_DEBEZIUM_PASSWORD',
};

/**
 * Whether `connect.url` is the local stack's Connect worker (loopback, the stack's port): only
 * then do the stack's hosts, ports and generated secrets stand in for unset placeholders.
 */
export function talksToLocalStack(config: Readonly<StocklineConfig>): boolean {
  try {
    const url = new URL(config.connect.url);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    return loopback && Number(url.port) === config.stack.connect.port;
  } catch {
    return false;
  }
}

/**
 * The local stack's hosts, ports and generated secrets, so that the shipped connector files
 * work against `stockline stack up` with no variables set. Against any other Connect worker
 * nothing: an unset placeholder stays an error that names it.
 */
export function localStackPlaceholders(
  config: Readonly<StocklineConfig>,
): Record<string, string | undefined> {
  if (!talksToLocalStack(config)) return {};
  const secrets = readSecrets(stackLayout(config).secretsFile);
  return {
    KAFKA_BOOTSTRAP_SERVERS: config.kafka.brokers.join(','),
    STORE_PG_HOST: '127.0.0.1',
    STORE_PG_PORT: String(config.stack.postgres.port),
    STORE_MARIADB_HOST: '127.0.0.1',
    STORE_MARIADB_PORT: String(config.stack.mariadb.port),
    ...Object.fromEntries(
      Object.entries(STACK_SECRET_PLACEHOLDERS).map(([placeholder, secret]) => [
        placeholder,
        secrets[secret],
      ]),
    ),
  };
}

/** The connector commands' defaults on a development machine. */
export const localStackDefaults: PlaceholderDefaults = {
  values: localStackPlaceholders,
  // The secret placeholders without a value because the stack has not generated its secrets yet
  // (no `stockline stack up` on this machine) and the environment does not set them.
  pending(config, env) {
    if (!talksToLocalStack(config)) return [];
    const resolved = connectorEnvironment(localStackPlaceholders(config), env);
    return Object.keys(STACK_SECRET_PLACEHOLDERS).filter((name) => !resolved[name]);
  },
  pendingHint:
    '`stockline stack up` generates them for the local stack, elsewhere set them in the environment',
};
