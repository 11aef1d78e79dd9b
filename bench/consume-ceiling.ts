import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type * as Rdkafka from 'node-rdkafka';
import { asError, loadRdkafka, RdkafkaCode } from '../src/kafka/rdkafka-client.js';

/**
 * The fastest bare consume loop each Kafka client offers: read `count` messages from the
 * beginning of `topic` and do nothing with them (no processing, no commits). It is the
 * ceiling any pipeline on that client can reach on this machine.
 *
 * The clock starts when the client may fetch (kafkajs: after its throw-away group is joined;
 * node-rdkafka: after assign(), which needs no group) and stops at the `count`-th message, so
 * connection set-up and the group join are not part of the rate. It runs in the benchmark's own
 * process: `cpuSeconds` is that process's user + system CPU (every thread: librdkafka's too) over
 * the same window.
 */
export interface CeilingOptions {
  brokers: string[];
  topic: string;
  count: number;
  /** Fails when no message arrives for this long before `count` are read. */
  idleTimeoutMs?: number;
}

export interface Ceiling {
  messages: number;
  seconds: number;
  cpuSeconds: number;
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export async function consumeCeiling(
  client: 'kafkajs' | 'node-rdkafka',
  opts: CeilingOptions,
): Promise<Ceiling> {
  return client === 'kafkajs' ? kafkajsCeiling(opts) : rdkafkaCeiling(opts);
}

const tooFew = (opts: CeilingOptions, seen: number, idleMs: number) =>
  new Error(
    `consume ceiling: read ${seen} of ${opts.count} messages of ${opts.topic}, then nothing for ${idleMs} ms (the topic holds fewer)`,
  );

async function kafkajsCeiling(opts: CeilingOptions): Promise<Ceiling> {
  const idleMs = opts.idleTimeoutMs ?? 30000;
  const kafka = new Kafka({
    clientId: 'stockline-bench-ceiling',
    brokers: opts.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `stockline-bench-ceiling-${randomUUID()}`,
    maxBytesPerPartition: 10 * 1024 * 1024,
    maxBytes: 50 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    const admin = kafka.admin();
    await admin.connect();
    const partitions = (await admin.fetchTopicOffsets(opts.topic)).length;
    await admin.disconnect();

    let started = 0;
    let startedCpu = 0;
    let seen = 0;
    let last = Date.now();
    const result = new Promise<Ceiling>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        started = performance.now();
        startedCpu = cpuNow();
      });
      const idle = setInterval(() => {
        if (Date.now() - last > idleMs) {
          clearInterval(idle);
          reject(tooFew(opts, seen, idleMs));
        }
      }, 1000);
      void consumer.subscribe({ topics: [opts.topic], fromBeginning: true }).then(
        () =>
          consumer.run({
            autoCommit: false,
            partitionsConsumedConcurrently: partitions,
            eachBatch: async ({ batch }) => {
              if (seen >= opts.count) return;
              seen += batch.messages.length;
              last = Date.now();
              if (seen >= opts.count) {
                clearInterval(idle);
                resolve({
                  messages: seen,
                  seconds: (performance.now() - started) / 1000,
                  cpuSeconds: cpuNow() - startedCpu,
                });
              }
              await Promise.resolve();
            },
          }),
        (e: unknown) => {
          clearInterval(idle);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
    return await result;
  } finally {
    await consumer.disconnect();
  }
}

function call<T>(
  run: (cb: (err: Rdkafka.LibrdKafkaError | null | undefined, value: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(asError(err)) : resolve(value))));
}

async function rdkafkaCeiling(opts: CeilingOptions): Promise<Ceiling> {
  const idleMs = opts.idleTimeoutMs ?? 30000;
  const kafka = loadRdkafka();
  const consumer = new kafka.KafkaConsumer(
    {
      'metadata.broker.list': opts.brokers.join(','),
      'client.id': 'stockline-bench-ceiling',
      'group.id': `stockline-bench-ceiling-${randomUUID()}`,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'max.partition.fetch.bytes': 10 * 1024 * 1024,
      'fetch.max.bytes': 50 * 1024 * 1024,
      log_level: 0,
    },
    {},
  );
  const metadata = await call<Rdkafka.Metadata>((cb) =>
    consumer.connect({ topic: opts.topic, allTopics: false, timeout: 10000 }, cb),
  );
  try {
    const partitions = metadata.topics.find((t) => t.name === opts.topic)?.partitions ?? [];
    if (partitions.length === 0) throw new Error(`consume ceiling: topic ${opts.topic} does not exist`);
    consumer.assign(
      partitions.map((p) => ({ topic: opts.topic, partition: p.id, offset: RdkafkaCode.OFFSET_BEGINNING })),
    );
    consumer.setDefaultConsumeTimeout(100);
    const started = performance.now();
    const startedCpu = cpuNow();
    let seen = 0;
    let last = Date.now();
    while (seen < opts.count) {
      const messages = await call<Rdkafka.Message[]>((cb) => consumer.consume(5000, cb));
      if (messages.length > 0) {
        seen += messages.length;
        last = Date.now();
      } else if (Date.now() - last > idleMs) throw tooFew(opts, seen, idleMs);
    }
    return {
      messages: seen,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: cpuNow() - startedCpu,
    };
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
