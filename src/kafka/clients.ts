import type { StocklineConfig } from '../config/schema.js';
import type { BatchConsumer } from './batch-consumer.js';
import { createKafkaAdmin, kafkajsClient } from './kafkajs-admin.js';
import { kafkajsBatchConsumer, type KafkajsBatchConsumerSettings } from './kafkajs-batch-consumer.js';
import { createKafkajsPipeline } from './kafkajs-pipeline.js';
import { createKafkaReader } from './kafkajs-reader.js';
import type { KafkaAdmin, KafkaConnection, KafkaPipelineFactory, KafkaReader } from './port.js';
import { createRdkafkaAdmin } from './rdkafka-admin.js';
import { createRdkafkaBatchConsumer, type RdkafkaBatchConsumerSettings } from './rdkafka-batch-consumer.js';
import { createRdkafkaPipeline } from './rdkafka-pipeline.js';
import { createRdkafkaReader } from './rdkafka-reader.js';

/**
 * Picks the Kafka client library (config key `kafka.client`). The node-rdkafka adapters load
 * the native addon only when they start, so choosing kafkajs never touches it.
 */
export type KafkaClientName = StocklineConfig['kafka']['client'];

export const KAFKA_CLIENTS: readonly KafkaClientName[] = ['kafkajs', 'node-rdkafka'];

type KafkaSettings = Pick<StocklineConfig['kafka'], 'brokers' | 'client'>;

const connectionOf = (kafka: KafkaSettings, clientId: string, quiet?: boolean): KafkaConnection => ({
  brokers: kafka.brokers,
  clientId,
  ...(quiet === undefined ? {} : { quiet }),
});

/** The consume-process-produce pipeline of the configured client. */
export function createPipelineFactory(kafka: KafkaSettings, clientId: string): KafkaPipelineFactory {
  const connection = connectionOf(kafka, clientId);
  return kafka.client === 'node-rdkafka'
    ? createRdkafkaPipeline(connection)
    : createKafkajsPipeline(connection);
}

/** The topic reader (never commits) of the configured client. */
export function createReader(
  kafka: KafkaSettings,
  clientId: string,
  options: { quiet?: boolean } = {},
): KafkaReader {
  const connection = connectionOf(kafka, clientId, options.quiet);
  return kafka.client === 'node-rdkafka' ? createRdkafkaReader(connection) : createKafkaReader(connection);
}

/**
 * The admin client of either library. kafkajs stays the default whatever `kafka.client` says:
 * the services' admin work ran on kafkajs before node-rdkafka had an admin adapter, and nothing
 * a user sees changes until they are rewired on purpose.
 */
export function createAdmin(
  kafka: KafkaSettings,
  clientId: string,
  library: KafkaClientName = 'kafkajs',
  options: { quiet?: boolean } = {},
): KafkaAdmin {
  const connection = connectionOf(kafka, clientId, options.quiet);
  return library === 'node-rdkafka' ? createRdkafkaAdmin(connection) : createKafkaAdmin(connection);
}

export type BatchConsumerSettings = KafkajsBatchConsumerSettings & RdkafkaBatchConsumerSettings;

/**
 * The batch consumer (batch-consumer.ts) of either library. kafkajs stays the default whatever
 * `kafka.client` says, as for createAdmin: the materializer has always consumed with kafkajs.
 */
export function createBatchConsumer(
  kafka: KafkaSettings,
  clientId: string,
  library: KafkaClientName = 'kafkajs',
  settings: BatchConsumerSettings = {},
): BatchConsumer {
  const connection = connectionOf(kafka, clientId);
  return library === 'node-rdkafka'
    ? createRdkafkaBatchConsumer(connection, settings)
    : kafkajsBatchConsumer(kafkajsClient(connection), connection, settings);
}
