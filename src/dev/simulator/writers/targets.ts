import path from 'node:path';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import type { StocklineConfig } from '../../../config/schema.js';
import { UsageError } from '../../../errors.js';
import { stackLayout } from '../../stack/layout.js';
import { readSecrets } from '../../stack/secrets.js';
import { WHMOVE_TOPIC } from '../mainframe/whmove.js';
import type { MainframeQueueTarget } from './mq-queue.js';

/** Where the simulator writes: the sources of the pipeline, as the application user. */
export interface SourceTargets {
  storePostgres: pg.ClientConfig;
  sapPostgres: pg.ClientConfig;
  storeMariadb: mysql.ConnectionOptions;
  /** The queue the MQ replicator mirrors onto the WHMOVE raw topic, and its connection. */
  mainframe: MainframeQueueTarget;
  /** The folder of the mappings, for the WHMOVE copybook. */
  mappingsDir: string;
}

/**
 * Hosts, ports and passwords from the environment (the same variables the connector files
 * use: STORE_PG_HOST, STORE_PG_PORT, STORE_PG_APP_PASSWORD, SAP_PG_..., STORE_MARIADB_...),
 * and where none is set the local stack's, so that `stockline simulate` needs no setup there.
 * The mainframe's queue is the one of mq.queues that the replicator mirrors onto the raw topic
 * mappings/mainframe-whmove.yaml reads (config/development.yaml lists it).
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
    mainframe: { mq: config.mq, queue: whmoveQueue(config.mq) },
    mappingsDir: path.resolve(config.mapper.mappingsDir),
  };
}

/** The queue of mq.queues whose messages the replicator puts on the WHMOVE raw topic. */
export function whmoveQueue(mq: Readonly<StocklineConfig['mq']>): string {
  const queues = mq.queues.filter((q) => q.topic === WHMOVE_TOPIC);
  if (queues.length !== 1)
    throw new UsageError(
      `the simulator puts WHMOVE records on the queue that mq.queues replicates to ${WHMOVE_TOPIC}, and ${queues.length === 0 ? 'none does' : `${queues.length} do (${queues.map((q) => q.queue).join(', ')})`}; list one, as config/development.yaml does: { queue: WH.STOCK.MOVES, topic: ${WHMOVE_TOPIC} }`,
      { topic: WHMOVE_TOPIC },
    );
  return queues[0]!.queue;
}
