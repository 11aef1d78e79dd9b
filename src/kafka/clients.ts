import type { StocklineConfig } from '../config/schema.js';
import { createKafkajsPipeline } from './kafkajs-pipeline.js';
import { createKafkaReader } from './kafkajs-reader.js';
import type { KafkaConnection, KafkaPipelineFactory, KafkaReader } from './port.js';
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
