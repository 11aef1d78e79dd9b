import path from 'node:path';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import type { StocklineConfig } from '../../../config/schema.js';
import type { KafkaConnection } from '../../../kafka/port.js';
import { stackLayout } from '../../stack/layout.js';
import { readSecrets } from '../../stack/secrets.js';

/** Where the simulator writes: the sources of the pipeline, as the application user. */
export interface SourceTargets {
  storePostgres: pg.ClientConfig;
  sapPostgres: pg.ClientConfig;
  storeMariadb: mysql.ConnectionOptions;
  kafka: KafkaConnection;
  /** The folder of the mappings, for the WHMOVE copybook. */
  mappingsDir: string;
}

/**
 * Hosts, ports and passwords from the environment (the same variables the connector files
 * use: STORE_PG_HOST, STORE_PG_PORT, STORE_PG_APP_PASSWORD, SAP_PG_..., STORE_MARIADB_...),
 * and where none is set the local stack's, so that `stockline simulate` needs no setup there.
 */
export function sourceTargets(
  config: Readonly<StocklineConfig>,
  env: NodeJS.ProcessEnv = process.env,
): SourceTargets {
  const secrets = readSecrets(stackLayout(config).secretsFile);
  const get = (name: string, fallback: string | undefined) => (env[name] ? env[name] : fallback);
  const user = get('STOCKLINE_APP_USER', 'stockline_app');
  const pgPassword = get('STORE_PG_APP_PASSWORD', secrets.STORE_PG_APP_PASSWORD);
  const postgres = (prefix: string, database: string): pg.ClientConfig => ({
    host: get(`${prefix}_HOST`, '127.0.0.1'),
    port: Number(get(`${prefix}_PORT`, String(config.stack.postgres.port))),
    user,
    password: get(`${prefix}_APP_PASSWORD`, pgPassword),
    database,
    application_name: 'stockline-simulate',
  });
  return {
    storePostgres: postgres('STORE_PG', 'store'),
    sapPostgres: postgres('SAP_PG', 'sap'),
    storeMariadb: {
      host: get('STORE_MARIADB_HOST', '127.0.0.1'),
      port: Number(get('STORE_MARIADB_PORT', String(config.stack.mariadb.port))),
      user,
      password: get('STORE_MARIADB_APP_PASSWORD', secrets.STORE_MARIADB_APP_PASSWORD),
      database: 'store',
      // DATETIME(6) columns hold UTC (connectors/seed/store-mariadb.sql).
      timezone: 'Z',
    },
    kafka: { brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-simulate` },
    mappingsDir: path.resolve(config.mapper.mappingsDir),
  };
}
