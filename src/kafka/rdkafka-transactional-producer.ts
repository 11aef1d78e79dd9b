import { randomUUID } from 'node:crypto';
import type * as Rdkafka from 'node-rdkafka';
import { ProducerFencedError, RemoteError } from '../errors.js';
import { javaPartition } from './murmur2.js';
import type {
  KafkaConnection,
  SourceTransaction,
  TransactionalProducer,
  TransactionalProducerOptions,
} from './port.js';
import {
  asRemoteError,
  baseConfig,
  call,
  connect,
  consumeBatch,
  disconnect,
  isLibrdkafkaError,
  loadRdkafka,
  logClientErrors,
  RdkafkaCode,
} from './rdkafka-client.js';
import { produceAll, PRODUCER_TOPIC_CONFIG, producerConfig } from './rdkafka-producer.js';

const TXN_TIMEOUT_MS = 30000;
/** librdkafka's codes for a fenced producer: its own (ERR__FENCED), PRODUCER_FENCED, INVALID_PRODUCER_EPOCH. */
const FENCED_CODES = new Set<number>([RdkafkaCode.FENCED, 90, 47]);

/**
 * Whether librdkafka failed because the producer was fenced. Once fenced, the producer's fatal
 * error makes every later call fail with ERR__FATAL, whose message names the fencing.
 */
export function isFencedError(e: unknown): boolean {
  if (!isLibrdkafkaError(e)) return false;
  if (FENCED_CODES.has(e.code)) return true;
  return e.code === RdkafkaCode.FATAL && /fenced/i.test(e.message);
}

function watermarks(
  consumer: Rdkafka.KafkaConsumer,
  topic: string,
  partition: number,
): Promise<{ low: bigint; high: bigint }> {
  return new Promise((resolve, reject) => {
    consumer.queryWatermarkOffsets(topic, partition, 10000, (err, offsets) =>
      err
        ? reject(asRemoteError(`cannot read the offsets of ${topic}`, err, { topic, partition }))
        : resolve({ low: BigInt(offsets.lowOffset), high: BigInt(offsets.highOffset) }),
    );
  });
}

/**
 * Reads the source's last committed position back from the state topic: the partition of its
 * key, read_committed, from its start up to its end as of now. The consumer's position moves
 * past transaction markers, which it never hands over: it says when the end is reached.
 */
export async function readPosition(
  connection: KafkaConnection,
  { stateTopic, source }: TransactionalProducerOptions,
): Promise<Buffer | null> {
  const kafka = loadRdkafka();
  const consumer = new kafka.KafkaConsumer(
    {
      ...baseConfig(connection),
      // assign() needs no group; librdkafka still wants an id, and this one is never committed to.
      'group.id': `stockline-position-${randomUUID()}`,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': 'read_committed',
    },
    {},
  );
  logClientErrors(consumer, connection);
  const metadata = await connect(consumer, connection);
  try {
    const partitions = metadata.topics.find((t) => t.name === stateTopic)?.partitions.length ?? 0;
    if (partitions === 0)
      throw new RemoteError(
        `the state topic ${stateTopic} does not exist`,
        { topic: stateTopic },
        { retriable: false },
      );
    const partition = javaPartition(source, partitions);
    const { low, high } = await watermarks(consumer, stateTopic, partition);
    if (high <= low) return null;
    consumer.assign([{ topic: stateTopic, partition, offset: RdkafkaCode.OFFSET_BEGINNING }]);
    let position: Buffer | null = null;
    for (;;) {
      for (const m of await consumeBatch(consumer, 1000, 200))
        if (m.key?.toString() === source) position = m.value;
      const [at] = consumer.position([{ topic: stateTopic, partition }]);
      if (at && at.offset >= 0 && BigInt(at.offset) >= high) return position;
    }
  } finally {
    await disconnect(consumer);
  }
}

/**
 * The node-rdkafka transactional producer of a source. initTransactions fences an earlier
 * instance with the same transactional id and waits until its open transaction has ended; then
 * the position is read back.
 */
export async function createRdkafkaTransactionalProducer(
  connection: KafkaConnection,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  const kafka = loadRdkafka();
  const context = { transactionalId: options.transactionalId, topic: options.stateTopic };
  let fencedBy: ProducerFencedError | undefined;
  const failure = (what: string, e: unknown): Error => {
    if (isFencedError(e))
      return (fencedBy ??= new ProducerFencedError(
        `the transactional producer ${options.transactionalId} was fenced: another instance with the same transactional id started, and owns the source ${options.source} now`,
        { ...context, source: options.source },
        e,
      ));
    return asRemoteError(what, e, context);
  };

  const open = async (): Promise<Rdkafka.Producer> => {
    const p = new kafka.Producer(
      {
        ...producerConfig(connection),
        'transactional.id': options.transactionalId,
        'transaction.timeout.ms': 60000,
      },
      PRODUCER_TOPIC_CONFIG,
    );
    logClientErrors(p, connection);
    try {
      await connect(p, connection);
      await call((cb) => p.initTransactions(TXN_TIMEOUT_MS, cb));
      return p;
    } catch (e) {
      await disconnect(p);
      throw failure('cannot start the transactional producer', e);
    }
  };
  let producer = await open();
  let startPosition: Buffer | null;
  try {
    startPosition = await readPosition(connection, options);
  } catch (e) {
    await disconnect(producer);
    throw e;
  }
  /** A transaction that could neither commit nor abort: the next begin() starts a new producer. */
  let broken = false;

  const transaction = (p: Rdkafka.Producer): SourceTransaction => {
    const abortAfter = async (e: unknown, what: string): Promise<never> => {
      const error = failure(what, e);
      if (!(error instanceof ProducerFencedError))
        await call((cb) => p.abortTransaction(TXN_TIMEOUT_MS, cb)).catch(() => {
          broken = true;
        });
      throw error;
    };
    return {
      async send(records) {
        try {
          await produceAll(p, records);
        } catch (e) {
          await abortAfter(e, 'cannot produce in the transaction');
        }
      },
      async commit(position) {
        try {
          await produceAll(p, [
            { topic: options.stateTopic, key: options.source, value: position, headers: {} },
          ]);
          // Flushes every record of the transaction first; fails if one was not delivered.
          await call((cb) => p.commitTransaction(TXN_TIMEOUT_MS, cb));
        } catch (e) {
          await abortAfter(e, 'cannot commit the transaction');
        }
      },
      async abort() {
        try {
          await call((cb) => p.abortTransaction(TXN_TIMEOUT_MS, cb));
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
      if (broken) {
        // A new producer with the same id fences the stuck one; the coordinator aborts its transaction.
        const old = producer;
        producer = await open();
        broken = false;
        void disconnect(old);
      }
      try {
        await call((cb) => producer.beginTransaction(cb));
      } catch (e) {
        throw failure('cannot begin a transaction', e);
      }
      return transaction(producer);
    },
    async close() {
      await disconnect(producer);
    },
  };
}
