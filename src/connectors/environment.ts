import type { StocklineConfig } from '../config/schema.js';
import { stackLayout } from '../stack/layout.js';
import { readSecrets } from '../stack/secrets.js';

/**
 * The values connector placeholders resolve against: the process environment first (what
 * production sets), then the local stack's hosts, ports and generated secrets, so that the
 * shipped connector files work against `stockline stack up` with no variables set.
 */
export function connectorEnvironment(
  config: StocklineConfig,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const secrets = readSecrets(stackLayout(config).secretsFile);
  const stack: Record<string, string | undefined> = {
    KAFKA_BOOTSTRAP_SERVERS: config.kafka.brokers.join(','),
    STORE_PG_HOST: '127.0.0.1',
    STORE_PG_PORT: String(config.stack.postgres.port),
    STORE_PG_DEBEZIUM_PASSWORD: secrets.STORE_PG_DEBEZIUM_PASSWORD,
    SAP_PG_HOST: '127.0.0.1',
    SAP_PG_PORT: String(config.stack.postgres.port),
    SAP_PG_DEBEZIUM_PASSWORD: secrets.STORE_PG_DEBEZIUM_PASSWORD,
    STORE_MARIADB_HOST: '127.0.0.1',
    STORE_MARIADB_PORT: String(config.stack.mariadb.port),
    STORE_MARIADB_DEBEZIUM_PASSWORD: secrets.STORE_MARIADB_DEBEZIUM_PASSWORD,
  };
  const fromProcess = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return { ...stack, ...fromProcess };
}
