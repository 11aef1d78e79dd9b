// MQ replicator throughput: N persistent messages preloaded on a RabbitMQ queue, then mirrored
// onto a raw topic by the replicator role in a process of its own, transactions and all (one
// Kafka transaction and one queue commit per batch, the state record in each). Against it, in
// the same run and on the same queue: a bare consume of the same count with amqplib (prefetch
// and a multiple ack per batch of the same size), the ceiling of the broker on this machine.
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as amqpConnect, type ConsumeMessage } from 'amqplib';
import type { StocklineConfig } from '../src/config/schema.js';
import type { KafkaAdmin } from '../src/kafka/port.js';
import { backoutQueueName } from '../src/mq/amqp-transport.js';
import { createLogger } from '../src/observability/logger.js';
import { connectTransport } from '../src/replicator/transports.js';
import { figure, RoleProcess } from './protocol.js';

export interface ReplicatorResult {
  messages: number;
  batchSize: number;
  /** The bare consume: amqplib consume and ack, no Kafka. */
  bare: { seconds: number; messagesPerSecond: number };
  seconds: number;
  messagesPerSecond: number;
  ratioOfBare: number;
  /** Records on the raw topic (read_committed end minus the transaction markers: the replicator's count). */
  replicated: number;
  batches: number;
  peakRssMb: number;
}

/** A WHMOVE record's size: the messages weigh what the mainframe's do. */
const BODY_BYTES = 87;
const PUT_BATCH = 1000;
/** Without progress for this long the run is stuck, not slow. */
const STALL_MS = 60_000;

const amqpUrlWithLogin = (mq: Readonly<StocklineConfig['mq']>) =>
  mq.amqpUrl.replace('://', `://${mq.user || 'guest'}:${mq.password || 'guest'}@`);

/** Puts `count` persistent messages on the queue, declared as the replicator declares it. */
async function preloadQueue(
  mq: Readonly<StocklineConfig['mq']>,
  queue: string,
  count: number,
): Promise<void> {
  const transport = await connectTransport(mq, createLogger({ level: 'silent' }));
  try {
    const writer = await transport.writer({ queue });
    for (let i = 0; i < count; i += PUT_BATCH) {
      const n = Math.min(PUT_BATCH, count - i);
      await writer.put(
        Array.from({ length: n }, (_, j) => {
          const body = Buffer.alloc(BODY_BYTES, 0x40);
          body.write(String(i + j).padStart(12, '0'), 0, 'latin1');
          return { body, persistent: true, ccsid: 37 };
        }),
      );
    }
    await writer.close();
  } finally {
    await transport.close();
  }
}

/** amqplib consume + ack of `count` messages, a multiple ack per `batchSize`; seconds from the first delivery. */
async function bareConsume(
  mq: Readonly<StocklineConfig['mq']>,
  queue: string,
  count: number,
  batchSize: number,
): Promise<number> {
  const model = await amqpConnect(amqpUrlWithLogin(mq));
  try {
    const channel = await model.createChannel();
    await channel.prefetch(batchSize);
    let received = 0;
    let first = 0;
    let last = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (Date.now() - (last || Date.now()) > STALL_MS) {
          clearInterval(timer);
          reject(new Error(`bare consume: no message for ${STALL_MS / 1000} s at ${received} of ${count}`));
        }
      }, 1000);
      void channel.consume(
        queue,
        (m: ConsumeMessage | null) => {
          if (m === null) return;
          if (received === 0) first = performance.now();
          received++;
          last = Date.now();
          if (received % batchSize === 0 || received === count) channel.ack(m, true);
          if (received === count) {
            clearInterval(timer);
            resolve();
          }
        },
        { noAck: false },
      );
    });
    await done;
    const seconds = (performance.now() - first) / 1000;
    await channel.close();
    return seconds;
  } finally {
    await model.close().catch(() => undefined);
  }
}

export async function replicatorThroughput(input: {
  config: Readonly<StocklineConfig>;
  admin: KafkaAdmin;
  run: string;
  messages: number;
  batchSize: number;
  log: (line: string) => void;
}): Promise<ReplicatorResult> {
  const { config, admin, run, messages, batchSize, log } = input;
  const mq: StocklineConfig['mq'] = { ...config.mq, transport: 'amqp', queueManager: 'BENCHQM' };
  const queue = `${run}.mqrepl`;
  const topics = { raw: `${run}.mq.raw`, dlq: `${run}.mq.deadletter`, state: `${run}.mq.state` };
  try {
    log(`  preload ${messages.toLocaleString('en-US')} persistent messages on ${queue}`);
    await preloadQueue(mq, queue, messages);
    const bareSeconds = await bareConsume(mq, queue, messages, batchSize);
    const bare = { seconds: bareSeconds, messagesPerSecond: messages / bareSeconds };
    log(`  bare consume: ${Math.round(bare.messagesPerSecond).toLocaleString('en-US')} messages/s`);

    log(`  preload ${messages.toLocaleString('en-US')} again`);
    await preloadQueue(mq, queue, messages);
    const replicator = await RoleProcess.start('mq-replicator', {
      mq: {
        ...mq,
        queues: [{ queue, topic: topics.raw, key: 'none', batchSize }],
        deadLetterTopic: topics.dlq,
        stateTopic: topics.state,
      },
    });
    try {
      // Timed from the first batch committed, so that connecting and recovery are not counted.
      let first: { at: number; messages: number } | undefined;
      let last = { at: Date.now(), messages: 0 };
      for (;;) {
        const report = await replicator.report();
        const now = performance.now();
        const done = figure(report, 'messages');
        if (replicator.failure) throw new Error(`mq-replicator failed: ${replicator.failure}`);
        if (done > last.messages) last = { at: Date.now(), messages: done };
        else if (Date.now() - last.at > STALL_MS)
          throw new Error(
            `mq-replicator made no progress for ${STALL_MS / 1000} s at ${done} of ${messages}`,
          );
        if (!first && done > 0) first = { at: now, messages: done };
        if (done >= messages && first) {
          const final = await replicator.stop();
          const seconds = (now - first.at) / 1000;
          const messagesPerSecond = (done - first.messages) / seconds;
          // One partition; its end counts the records and one commit marker per transaction.
          const end = (await admin.endOffsets(topics.raw)).get(0) ?? 0n;
          const batches = figure(final, 'batches');
          return {
            messages,
            batchSize,
            bare,
            seconds,
            messagesPerSecond,
            ratioOfBare: messagesPerSecond / bare.messagesPerSecond,
            replicated: Number(end) - batches,
            batches,
            peakRssMb: final.peakRssMb,
          };
        }
        await sleep(100);
      }
    } catch (e) {
      replicator.kill();
      throw e;
    }
  } finally {
    const model = await amqpConnect(amqpUrlWithLogin(mq));
    const channel = await model.createChannel();
    for (const q of [queue, backoutQueueName(queue)]) await channel.deleteQueue(q).catch(() => undefined);
    await model.close();
    await admin.deleteTopics([topics.raw, topics.dlq, topics.state]).catch(() => undefined);
  }
}
