import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Rdkafka from 'node-rdkafka';
import type {
  KafkaConnection,
  KafkaPipelineFactory,
  OutgoingRecord,
  PipelineBatch,
  PipelineOptions,
  RunningPipeline,
} from './port.js';
import {
  asRemoteError,
  baseConfig,
  call,
  connect,
  consumeBatch,
  disconnect,
  isFatal,
  isLibrdkafkaError,
  loadRdkafka,
  logClientErrors,
  RdkafkaCode,
  toKafkaRecord,
  toProduceArgs,
  toRdkafkaOffset,
} from './rdkafka-client.js';

/** Most records one transaction carries (one consume call); fewer when less is waiting. */
const MAX_BATCH = 5000;
/** How long one consume call waits for the first record. */
const POLL_MS = 200;
const TXN_TIMEOUT_MS = 30000;
const MAX_BACKOFF_MS = 10000;

type Rebalance = { kind: 'assign' | 'revoke'; partitions: Rdkafka.Assignment[] };

/** How long the pipeline keeps retrying through an outage before it gives up. */
const GIVE_UP_AFTER_MS = 10 * 60_000;

/**
 * An error that retrying the batch cannot heal: librdkafka refused a record itself (too large,
 * invalid). Like a non-retriable error under kafkajs, it ends the pipeline.
 */
class GiveUp extends Error {
  constructor(message: string, cause: unknown) {
    super(`${message}: ${(cause as Error).message}`, { cause });
    this.name = new.target.name;
  }
}

/**
 * The producer cannot go on: a transaction that could neither commit nor abort (the broker
 * went away in the middle), or a fatal error of the producer. A new producer with the same
 * transactional id fences the old one, and the coordinator aborts what that one left open.
 */
class ProducerBroken extends Error {
  constructor(message: string, cause: unknown) {
    super(`${message}: ${(cause as Error).message}`, { cause });
    this.name = new.target.name;
  }
}

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Topic names, and regular expressions resolved against the cluster's topics as kafkajs does at subscribe. */
function resolveTopics(wanted: (string | RegExp)[], metadata: Rdkafka.Metadata): string[] {
  const existing = metadata.topics.map((t) => t.name).filter((n) => !n.startsWith('__'));
  const names = new Set<string>();
  for (const w of wanted) {
    if (typeof w === 'string') names.add(w);
    else for (const n of existing) if (w.test(n)) names.add(n);
  }
  return [...names];
}

/**
 * The node-rdkafka adapter of the transactional pipeline: consume up to MAX_BATCH records
 * with consume(n), hand each partition's records to `process` in offset order, produce the
 * results and the consumed offsets in one Kafka transaction (sendOffsetsToTransaction), commit.
 * A failed batch is aborted and its partitions seeked back to the batch's first offsets, so it
 * is read again, after a growing pause. What retrying cannot heal ends the pipeline and rejects
 * `done`, as a non-retriable error does under kafkajs: a fatal client error (a fenced producer),
 * a record librdkafka refuses (larger than message.max.bytes), a transaction that cannot abort.
 *
 * Rebalances are applied between batches: a revoke arriving while a batch is in flight waits
 * until the batch committed or aborted (the group generation stays valid until this member
 * unassigns and rejoins), so a partition never changes hands in the middle of a transaction.
 */
export function createRdkafkaPipeline(connection: KafkaConnection): KafkaPipelineFactory {
  return {
    async start(options: PipelineOptions): Promise<RunningPipeline> {
      const kafka = loadRdkafka();
      const rebalances: Rebalance[] = [];
      let looping = false;
      /** Next offset expected per partition: guards against records of a batch already committed. */
      const next = new Map<string, bigint>();

      const consumer = new kafka.KafkaConsumer(
        {
          ...baseConfig(connection),
          'group.id': options.groupId,
          'enable.auto.commit': false,
          'enable.auto.offset.store': false,
          'isolation.level': 'read_committed',
          'session.timeout.ms': 30000,
          'heartbeat.interval.ms': 3000,
          'max.partition.fetch.bytes': 4 * 1024 * 1024,
          // Memory: librdkafka pre-fetches up to 64 MB by default; 16 MB keeps a batch ahead.
          'queued.max.messages.kbytes': 16 * 1024,
          // Eager protocol: a revoke takes all partitions, then an assign hands out the new set.
          'partition.assignment.strategy': 'range,roundrobin',
          rebalance_cb: (err: Rdkafka.LibrdKafkaError | undefined, assignment: Rdkafka.Assignment[]) => {
            const kind = err?.code === RdkafkaCode.ASSIGN_PARTITIONS ? 'assign' : 'revoke';
            rebalances.push({ kind, partitions: assignment });
            // While the loop runs it applies them between batches; while stopping, at once.
            if (!looping) applyRebalances();
          },
        },
        { 'auto.offset.reset': options.fromBeginning ? 'earliest' : 'latest' },
      );
      const applyRebalances = () => {
        for (const r of rebalances.splice(0)) {
          for (const p of r.partitions) next.delete(tp(p.topic, p.partition));
          try {
            if (r.kind === 'assign') consumer.assign(r.partitions);
            else consumer.unassign();
          } catch (e) {
            // Not connected any more (stopping): nothing to hand back.
            log?.debug({ err: e }, 'rebalance not applied');
          }
        }
      };

      const newProducer = () => {
        const p = new kafka.Producer(
          {
            ...baseConfig(connection),
            'transactional.id': `${options.transactionalIdPrefix}-${hostname()}-${process.pid}`,
            'enable.idempotence': true,
            'transaction.timeout.ms': 60000,
            'linger.ms': 5,
            // Memory: 100,000 messages by default; a full queue makes produceAll wait for deliveries.
            'queue.buffering.max.messages': 20000,
            // Requests bounded by bytes, as in the kafkajs adapter (SEND_BYTES): librdkafka fills a
            // partition's batch up to batch.size, and refuses a single message above
            // message.max.bytes at produce(); both stay under the broker's 1 MiB.
            'batch.size': 900 * 1024,
            'message.max.bytes': 1000000,
          },
          // Java's and kafkajs's partitioner: a key lands on the same partition whichever client wrote it.
          { partitioner: 'murmur2_random' },
        );
        logClientErrors(p, connection);
        return p;
      };
      let producer = newProducer();
      const log = logClientErrors(consumer, connection);

      /** Replaces a producer that cannot go on (ProducerBroken); the next batch uses the new one. */
      const replaceProducer = async () => {
        const old = producer;
        producer = newProducer();
        // Closing a producer whose transaction is stuck may wait for librdkafka's timeouts: not for it.
        void disconnect(old).catch(() => undefined);
        await connect(producer, connection);
        await call((cb) => producer.initTransactions(TXN_TIMEOUT_MS, cb));
        log?.warn({ groupId: options.groupId }, 'transactional producer replaced after a failed transaction');
      };

      await connect(producer, connection);
      try {
        await call((cb) => producer.initTransactions(TXN_TIMEOUT_MS, cb));
        const metadata = await connect(consumer, connection);
        consumer.subscribe(resolveTopics(options.topics, metadata));
      } catch (e) {
        await disconnect(consumer);
        await disconnect(producer);
        throw asRemoteError('cannot start the node-rdkafka pipeline', e, { groupId: options.groupId });
      }

      /** Produces every record into the open transaction, waiting for deliveries when librdkafka's queue is full. */
      const produceAll = async (out: OutgoingRecord[]) => {
        for (const record of out) {
          const [value, key, headers] = toProduceArgs(record);
          for (;;) {
            try {
              producer.produce(record.topic, null, value, key, null, undefined, headers);
              break;
            } catch (e) {
              if (!isLibrdkafkaError(e)) throw e;
              if (e.code !== RdkafkaCode.QUEUE_FULL) throw new GiveUp(`cannot produce to ${record.topic}`, e);
              // Bounded: librdkafka holds at most queue.buffering.max.messages; let it send some.
              await call((cb) => producer.flush(1000, cb)).catch(() => undefined);
            }
          }
        }
      };

      /**
       * commitTransaction and abortTransaction go on in librdkafka after a retriable error (a
       * timeout: the process stalled, the coordinator was slow); librdkafka expects the same call
       * again, and refuses the other one ("conflicting commit_transaction API call").
       */
      const resumable = async (
        what: string,
        run: (cb: (err: Rdkafka.LibrdKafkaError | null | undefined) => void) => void,
      ) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await call(run);
            return;
          } catch (e) {
            if (!isLibrdkafkaError(e) || e.isRetriable !== true || attempt >= 5) throw e;
            log?.warn({ err: e, attempt }, `transaction ${what} did not finish; calling it again`);
          }
        }
      };

      /** One transaction: process each partition's records, produce, add the offsets, commit. */
      const runBatch = async (batches: PipelineBatch[]) => {
        const outputs: OutgoingRecord[][] = [];
        for (const batch of batches) outputs.push(await options.process(batch));
        await call((cb) => producer.beginTransaction(cb));
        try {
          for (const out of outputs) await produceAll(out);
          const offsets = batches.map((b) => ({
            topic: b.topic,
            partition: b.partition,
            offset: toRdkafkaOffset(BigInt(b.records[b.records.length - 1]!.offset) + 1n),
          }));
          await call((cb) => producer.sendOffsetsToTransaction(offsets, consumer, TXN_TIMEOUT_MS, cb));
          await resumable('commit', (cb) => producer.commitTransaction(TXN_TIMEOUT_MS, cb));
        } catch (e) {
          if (e instanceof GiveUp) throw e;
          if (isFatal(e)) throw new ProducerBroken('the transactional producer failed', e);
          await resumable('abort', (cb) => producer.abortTransaction(TXN_TIMEOUT_MS, cb)).catch(
            (abortError: unknown) => {
              // A transaction that can neither commit nor abort leaves the producer unusable.
              throw new ProducerBroken('cannot abort the Kafka transaction', abortError);
            },
          );
          throw e;
        }
      };

      /** After an aborted batch: read its partitions again from where the batch began. */
      const rewind = async (batches: PipelineBatch[]) => {
        for (const b of batches) {
          const first = b.records[0]!.offset;
          next.set(tp(b.topic, b.partition), BigInt(first));
          await call((cb) =>
            consumer.seek(
              { topic: b.topic, partition: b.partition, offset: toRdkafkaOffset(first) },
              5000,
              cb,
            ),
          ).catch(
            // The partition went to another member meanwhile: it resumes from the committed offset.
            (e: unknown) =>
              log?.debug({ err: e, topic: b.topic, partition: b.partition }, 'seek after abort failed'),
          );
        }
      };

      let stopping = false;
      const stopSignal = new AbortController();

      const loop = async () => {
        let backoff = 0;
        let producerBroken = false;
        /** Since when no batch has committed (an outage); past GIVE_UP_AFTER_MS the pipeline ends. */
        let failingSince: number | undefined;
        looping = true;
        try {
          while (!stopping) {
            applyRebalances();
            let messages: Rdkafka.Message[];
            try {
              messages = await consumeBatch(consumer, MAX_BATCH, POLL_MS);
            } catch (e) {
              if (isFatal(e)) throw e;
              // Transport errors, a topic still being created: librdkafka recovers by itself.
              log?.warn({ err: e }, 'consume failed; retrying');
              await sleep(500, undefined, { signal: stopSignal.signal }).catch(() => undefined);
              continue;
            }
            if (messages.length === 0) continue;
            const byPartition = new Map<string, PipelineBatch>();
            for (const m of messages) {
              const key = tp(m.topic, m.partition);
              const expected = next.get(key);
              if (expected !== undefined && BigInt(m.offset) < expected) continue;
              let batch = byPartition.get(key);
              if (!batch)
                byPartition.set(key, (batch = { topic: m.topic, partition: m.partition, records: [] }));
              batch.records.push(toKafkaRecord(m));
            }
            const batches = [...byPartition.values()];
            if (batches.length === 0) continue;
            try {
              if (producerBroken) {
                await replaceProducer();
                producerBroken = false;
              }
              await runBatch(batches);
              for (const b of batches)
                next.set(tp(b.topic, b.partition), BigInt(b.records.at(-1)!.offset) + 1n);
              backoff = 0;
              failingSince = undefined;
            } catch (e) {
              failingSince ??= Date.now();
              if (e instanceof GiveUp || Date.now() - failingSince > GIVE_UP_AFTER_MS) throw e;
              // A failed replacement (the broker still away) is tried again before the next batch.
              if (e instanceof ProducerBroken || isFatal(e)) producerBroken = true;
              backoff = Math.min(Math.max(backoff * 2, 200), MAX_BACKOFF_MS);
              log?.warn(
                {
                  err: e,
                  partitions: batches.map((b) => `${b.topic}/${b.partition}@${b.records[0]!.offset}`),
                  retryInMs: backoff,
                },
                'batch failed and was aborted; reading it again',
              );
              await rewind(batches);
              await sleep(backoff, undefined, { signal: stopSignal.signal }).catch(() => undefined);
            }
          }
        } finally {
          looping = false;
          applyRebalances();
        }
      };

      const closeClients = async () => {
        try {
          consumer.unsubscribe();
        } catch {
          // not connected
        }
        await disconnect(consumer);
        await disconnect(producer);
      };

      let finished!: () => void;
      let failed!: (e: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        finished = resolve;
        failed = reject;
      });
      const running = loop().then(
        () => undefined,
        async (e: unknown) => {
          stopping = true;
          log?.error({ err: e }, 'node-rdkafka pipeline failed');
          await closeClients();
          failed(asRemoteError('the node-rdkafka pipeline failed', e, { groupId: options.groupId }));
        },
      );

      return {
        done,
        async stop() {
          if (stopping) {
            await running;
            return;
          }
          stopping = true;
          stopSignal.abort();
          await running;
          await closeClients();
          finished();
        },
      };
    },
  };
}
