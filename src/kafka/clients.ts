import type { StocklineConfig } from '../config/schema.js';
import type { BatchConsumer } from './batch-consumer.js';
import { createKafkaAdmin, kafkajsClient } from './kafkajs-admin.js';
import { kafkajsBatchConsumer, type KafkajsBatchConsumerSettings } from './kafkajs-batch-consumer.js';
import { createKafkajsPipeline } from './kafkajs-pipeline.js';
import { createKafkajsProducer } from './kafkajs-producer.js';
import { createKafkaReader } from './kafkajs-reader.js';
import { createKafkajsTransactionalProducer } from './kafkajs-transactional-producer.js';
import type {
  KafkaAdmin,
  KafkaConnection,
  KafkaPipelineFactory,
  KafkaProducer,
  KafkaReader,
  ProducerOptions,
  TransactionalProducer,
  TransactionalProducerOptions,
} from './port.js';
import { createRdkafkaAdmin } from './rdkafka-admin.js';
import { createRdkafkaBatchConsumer, type RdkafkaBatchConsumerSettings } from './rdkafka-batch-consumer.js';
import { createRdkafkaPipeline } from './rdkafka-pipeline.js';
import { createRdkafkaProducer } from './rdkafka-producer.js';
import { createRdkafkaReader } from './rdkafka-reader.js';
import { createRdkafkaTransactionalProducer } from './rdkafka-transactional-producer.js';

/**
 * Picks the Kafka client library (config key `kafka.client`); the only module outside the
 * adapters that names them. The node-rdkafka adapters load the native addon only when they
 * start, so choosing kafkajs never touches it.
 */
export type KafkaClientName = StocklineConfig['kafka']['client'];

export const KAFKA_CLIENTS: readonly KafkaClientName[] = ['kafkajs', 'node-rdkafka'];

type KafkaSettings = Pick<StocklineConfig['kafka'], 'brokers' | 'client'>;

/** Silences the client's own logging (health probes expect failures). */
interface ClientOptions {
  quiet?: boolean;
}

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
  options: ClientOptions = {},
): KafkaReader {
  const connection = connectionOf(kafka, clientId, options.quiet);
  return kafka.client === 'node-rdkafka' ? createRdkafkaReader(connection) : createKafkaReader(connection);
}

/** A connected idempotent producer of the configured client. */
export function createProducer(
  kafka: KafkaSettings,
  clientId: string,
  options: ProducerOptions = {},
): Promise<KafkaProducer> {
  const connection = connectionOf(kafka, clientId);
  return kafka.client === 'node-rdkafka'
    ? createRdkafkaProducer(connection, options)
    : createKafkajsProducer(connection, options);
}

/**
 * A transactional producer of the configured client for a source that is not a Kafka consumer:
 * connected, any earlier instance with the same transactional id fenced, its position read back.
 */
export function createTransactionalProducer(
  kafka: KafkaSettings,
  clientId: string,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  const connection = connectionOf(kafka, clientId);
  return kafka.client === 'node-rdkafka'
    ? createRdkafkaTransactionalProducer(connection, options)
    : createKafkajsTransactionalProducer(connection, options);
}

/**
 * The admin client of either library (both pass test/integration/kafka-port/admin.test.ts).
 * kafkajs stays the default whatever `kafka.client` says: the services' admin work has always
 * run on it, and nothing a user sees changes until it is switched on purpose.
 */
export function createAdmin(
  kafka: KafkaSettings,
  clientId: string,
  options: ClientOptions & { library?: KafkaClientName } = {},
): KafkaAdmin {
  const connection = connectionOf(kafka, clientId, options.quiet);
  return options.library === 'node-rdkafka' ? createRdkafkaAdmin(connection) : createKafkaAdmin(connection);
}

export type BatchConsumerSettings = KafkajsBatchConsumerSettings &
  RdkafkaBatchConsumerSettings & { library?: KafkaClientName };

/**
 * The batch consumer (batch-consumer.ts; the materializer's) of either library (both pass
 * test/integration/kafka-port/batch-consumer.test.ts). kafkajs stays the default whatever
 * `kafka.client` says, as for createAdmin: the materializer has always consumed with kafkajs.
 */
export function createBatchConsumer(
  kafka: KafkaSettings,
  clientId: string,
  settings: BatchConsumerSettings = {},
): BatchConsumer {
  const connection = connectionOf(kafka, clientId);
  const { library, ...rest } = settings;
  return library === 'node-rdkafka'
    ? createRdkafkaBatchConsumer(connection, rest)
    : kafkajsBatchConsumer(kafkajsClient(connection), connection, rest);
}
