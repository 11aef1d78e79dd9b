import { randomUUID } from 'node:crypto';
import type { Kafka, Producer, Transaction } from 'kafkajs';
import { ProducerFencedError, RemoteError } from '../errors.js';
import { connectOrExplain, createKafkaAdmin, kafkajsClient } from './kafkajs-admin.js';
import { byTopic, javaCompatiblePartitioner } from './kafkajs-producer.js';
import { javaPartition } from './murmur2.js';
import type {
  KafkaConnection,
  OutgoingRecord,
  SourceTransaction,
  TransactionalProducer,
  TransactionalProducerOptions,
} from './port.js';
import { byteChunks } from './record-bytes.js';

/**
 * Broker answers that say a newer instance with the same transactional id took over:
 * INVALID_PRODUCER_EPOCH (47), and PRODUCER_FENCED (90), which kafkajs 2.2 does not name.
 */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const FENCED_CODES = new Set([47, 90]);

/** Whether kafkajs failed because the producer was fenced (the answer may be nested in retries). */
export function isFencedError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const { type, code } = e as Error & { type?: unknown; code?: unknown };
    if (typeof type === 'string' && FENCED_TYPES.has(type)) return true;
    if (typeof code === 'number' && FENCED_CODES.has(code)) return true;
    e = e.cause;
  }
  return false;
}

/**
 * Reads the source's last committed position back from the state topic: the partition of its
 * key (murmur2, as every producer placed it), read_committed, from its start up to its end as
 * of now. The end counts transaction markers, which a consumer never sees: the batch's last
 * offset (markers included) says when the end is reached.
 */
export async function readPosition(
  kafka: Kafka,
  connection: KafkaConnection,
  { stateTopic, source }: TransactionalProducerOptions,
): Promise<Buffer | null> {
  const admin = createKafkaAdmin(connection);
  const offsets = await admin.topicOffsets(stateTopic).finally(() => admin.close());
  if (offsets.size === 0)
    throw new RemoteError(
      `the state topic ${stateTopic} does not exist`,
      { topic: stateTopic },
      {
        retriable: false,
      },
    );
  const partition = javaPartition(source, offsets.size);
  const { low, high } = offsets.get(partition)!;
  if (high <= low) return null;
  const consumer = kafka.consumer({
    groupId: `stockline-position-${randomUUID()}`,
    readUncommitted: false,
    sessionTimeout: 10000,
    heartbeatInterval: 1000,
  });
  let position: Buffer | null = null;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const passed = (lastOffset: string) => {
    if (BigInt(lastOffset) + 1n >= high) finish();
  };
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    // Only markers and aborted records: kafkajs hands over no batch for it.
    if (payload.partition === partition && payload.batchSize === 0) passed(payload.lastOffset);
  });
  await connectOrExplain(connection, () => consumer.connect());
  try {
    await consumer.subscribe({ topics: [stateTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== partition) return;
        for (const m of batch.messages) if (m.key?.toString('utf8') === source) position = m.value;
        passed(batch.lastOffset());
        await Promise.resolve();
      },
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return position;
}

/**
 * The kafkajs transactional producer of a source. Connecting with the transactional id fences
 * an earlier instance (the coordinator aborts what it left open); then the position is read back.
 */
export async function createKafkajsTransactionalProducer(
  connection: KafkaConnection,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  const kafka = kafkajsClient(connection);
  const newProducer = (): Producer =>
    kafka.producer({
      transactionalId: options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60000,
      createPartitioner: javaCompatiblePartitioner,
      // As in the pipeline: back-to-back transactions meet CONCURRENT_TRANSACTIONS while the
      // coordinator writes the last one's markers; retry it soon (KAFKA-5477).
      retry: { initialRetryTime: 20, maxRetryTime: 1000, retries: 10 },
    });
  const context = { transactionalId: options.transactionalId, topic: options.stateTopic };
  const fenced = (cause: unknown) =>
    new ProducerFencedError(
      `the transactional producer ${options.transactionalId} was fenced: another instance with the same transactional id started, and owns the source ${options.source} now`,
      { ...context, source: options.source },
      cause,
    );
  /** Set once fenced: the instance must stop, and every call says so. */
  let fencedBy: ProducerFencedError | undefined;
  /** A transaction that could neither commit nor abort: the next begin() starts a new producer. */
  let broken = false;
  let producer = newProducer();

  /** The error to throw for a failure of kafkajs: fenced, or the service's remote error. */
  const failure = (what: string, e: unknown): Error => {
    if (isFencedError(e)) return (fencedBy ??= fenced(e));
    return new RemoteError(`${what}: ${(e as Error).message}`, context, { cause: e });
  };

  const start = async () => {
    await connectOrExplain(connection, () => producer.connect());
    // The first transaction initializes the producer id: this fences an earlier instance and
    // waits until the coordinator has ended what that one left open.
    const first = await producer.transaction();
    await first.abort();
  };
  await start().catch(async (e: unknown) => {
    await producer.disconnect().catch(() => undefined);
    throw failure('cannot start the transactional producer', e);
  });
  let startPosition: Buffer | null;
  try {
    startPosition = await readPosition(kafka, connection, options);
  } catch (e) {
    await producer.disconnect().catch(() => undefined);
    throw e;
  }

  const wrap = (txn: Transaction): SourceTransaction => {
    /** Aborts after a failure, as far as kafkajs still can; a failed abort breaks the producer. */
    const abortAfter = async (e: unknown, what: string): Promise<never> => {
      const error = failure(what, e);
      if (!(error instanceof ProducerFencedError))
        await txn.abort().catch(() => {
          broken = true;
        });
      throw error;
    };
    return {
      async send(records: OutgoingRecord[]) {
        try {
          for (const chunk of byteChunks(records))
            await txn.sendBatch({ topicMessages: byTopic(chunk), acks: -1 });
        } catch (e) {
          await abortAfter(e, 'cannot produce in the transaction');
        }
      },
      async commit(position) {
        try {
          await txn.send({
            topic: options.stateTopic,
            acks: -1,
            messages: [{ key: options.source, value: position }],
          });
          await txn.commit();
        } catch (e) {
          await abortAfter(e, 'cannot commit the transaction');
        }
      },
      async abort() {
        try {
          await txn.abort();
        } catch (e) {
          broken = true;
          throw failure('cannot abort the transaction', e);
        }
      },
    };
  };

  return {
    startPosition,
    async begin() {
      if (fencedBy) throw fencedBy;
      try {
        if (broken) {
          // A new producer with the same id fences the stuck one; the coordinator aborts its transaction.
          await producer.disconnect().catch(() => undefined);
          producer = newProducer();
          await producer.connect();
          broken = false;
        }
        return wrap(await producer.transaction());
      } catch (e) {
        throw failure('cannot begin a transaction', e);
      }
    },
    async close() {
      await producer.disconnect();
    },
  };
}
