import type * as Rdkafka from 'node-rdkafka';
import type { KafkaConnection, KafkaProducer, OutgoingRecord, ProducerOptions } from './port.js';
import {
  asRemoteError,
  baseConfig,
  call,
  connect,
  disconnect,
  isLibrdkafkaError,
  loadRdkafka,
  logClientErrors,
  RdkafkaCode,
  toProduceArgs,
} from './rdkafka-client.js';

/** librdkafka's largest retry count (message.send.max.retries is a C int). */
const MAX_RETRIES = 2_147_483_647;
/** librdkafka's default message.timeout.ms: how long a record may wait for its acknowledgement. */
const DEFAULT_DELIVERY_TIMEOUT_MS = 300_000;

/** The settings of every node-rdkafka producer of stockline (idempotent, Java's partitioner, bounded requests). */
export function producerConfig(
  connection: KafkaConnection,
  options: ProducerOptions = {},
): Rdkafka.ProducerGlobalConfig {
  const retry = options.retry;
  return {
    ...baseConfig(connection),
    'enable.idempotence': true,
    'linger.ms': 5,
    // Requests bounded by bytes, as in the kafkajs adapters (record-bytes.ts): librdkafka fills a
    // partition's batch up to batch.size, and refuses a single message above message.max.bytes
    // at produce(); both stay under the broker's 1 MiB.
    'batch.size': 900 * 1024,
    'message.max.bytes': 1000000,
    ...(retry
      ? {
          'message.send.max.retries': Math.min(retry.retries, MAX_RETRIES),
          'retry.backoff.ms': retry.initialMs,
          'retry.backoff.max.ms': retry.maxMs,
          // librdkafka waits for a broker that is away without counting retries: bound the wait
          // like the retries bound it under kafkajs (roughly; its own default is 5 minutes).
          'message.timeout.ms': Math.min(
            DEFAULT_DELIVERY_TIMEOUT_MS,
            Math.max(10_000, retry.retries * retry.maxMs + 30_000),
          ),
        }
      : {}),
  };
}

/** Java's and kafkajs's partitioner: a key lands on the same partition whichever client wrote it. */
export const PRODUCER_TOPIC_CONFIG: Rdkafka.ProducerTopicConfig = { partitioner: 'murmur2_random' };

/**
 * Hands records to librdkafka, waiting for deliveries when its queue is full; `opaque` comes
 * back with each record's delivery report.
 */
export async function produceAll(
  producer: Rdkafka.Producer,
  records: OutgoingRecord[],
  opaque?: unknown,
): Promise<void> {
  for (const record of records) {
    const [value, key, headers] = toProduceArgs(record);
    for (;;) {
      try {
        producer.produce(record.topic, null, value, key, record.timestamp ?? null, opaque, headers);
        break;
      } catch (e) {
        if (!isLibrdkafkaError(e) || e.code !== RdkafkaCode.QUEUE_FULL)
          throw asRemoteError(`cannot produce to ${record.topic}`, e, { topic: record.topic });
        // Bounded: librdkafka holds at most queue.buffering.max.messages; let it send some.
        await call((cb) => producer.flush(1000, cb)).catch(() => undefined);
      }
    }
  }
}

/** One send's records still waiting for their delivery reports. */
interface PendingSend {
  remaining: number;
  error: Error | undefined;
  settle: () => void;
}

/**
 * The node-rdkafka producer: idempotent (librdkafka keeps the order of a partition through its
 * retries), a send resolves when every record's delivery report arrived.
 */
export async function createRdkafkaProducer(
  connection: KafkaConnection,
  options: ProducerOptions = {},
): Promise<KafkaProducer> {
  const kafka = loadRdkafka();
  const producer = new kafka.Producer(
    { ...producerConfig(connection, options), dr_cb: true },
    PRODUCER_TOPIC_CONFIG,
  );
  logClientErrors(producer, connection);
  producer.on('delivery-report', (err, report) => {
    const pending = report.opaque as PendingSend | undefined;
    if (!pending) return;
    if (err && pending.error === undefined)
      pending.error = asRemoteError(`cannot produce to ${report.topic}`, err, {
        topic: report.topic,
        partition: report.partition,
      });
    if (--pending.remaining === 0) pending.settle();
  });
  await connect(producer, connection);
  // Delivery reports arrive through polls.
  producer.setPollInterval(20);
  return {
    async send(records) {
      if (records.length === 0) return;
      let settle!: () => void;
      const delivered = new Promise<void>((resolve) => (settle = resolve));
      const pending: PendingSend = { remaining: records.length, error: undefined, settle };
      // A failure part-way leaves the records queued so far to go out (the contract allows it).
      await produceAll(producer, records, pending);
      await delivered;
      if (pending.error !== undefined) throw pending.error;
    },
    async flush() {
      await call((cb) => producer.flush(30_000, cb)).catch((e: unknown) => {
        throw asRemoteError('cannot flush the producer', e);
      });
    },
    async close() {
      await call((cb) => producer.flush(30_000, cb)).catch(() => undefined);
      producer.setPollInterval(0);
      await disconnect(producer);
    },
  };
}
