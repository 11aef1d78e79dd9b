import { connect } from 'amqplib';
import { loadConfig } from '../../src/config/load.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import {
  backoutQueueName,
  createAmqpTransport,
  type AmqpQueueTransport,
} from '../../src/mq/amqp-transport.js';
import { MemoryQueueBroker, type MemoryQueueTransport } from '../../src/mq/memory-transport.js';
import type { QueueTransport } from '../../src/mq/port.js';
import { uniqueSuffix } from '../support/config.js';
import { transportConformance, type TransportFixture } from '../support/mq-conformance.js';

/**
 * The MQ port's conformance suite (test/support/mq-conformance.ts) on each transport that runs
 * here: memory (in process) and amqp (the machine's RabbitMQ). ibmmq runs it on its fake.
 */

transportConformance('memory', () => {
  const broker = new MemoryQueueBroker('QM.MEMORY');
  const transports: QueueTransport[] = [];
  const fixture: TransportFixture = {
    connect: () => {
      const transport = broker.connect();
      transports.push(transport);
      return Promise.resolve(transport);
    },
    createQueue: (options = {}) => {
      const queue = `test.mq.${uniqueSuffix()}`;
      broker.setBackoutThreshold(queue, options.backoutThreshold ?? null);
      return Promise.resolve(queue);
    },
    killConnection: (transport) => {
      (transport as MemoryQueueTransport).kill();
      return Promise.resolve();
    },
    clockToleranceMs: 0,
    cleanup: async () => {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
  return Promise.resolve(fixture);
});

/** The suite's mq section, reading the machine's RabbitMQ (STOCKLINE__MQ__AMQPURL etc. override it). */
function amqpSection(): StocklineConfig['mq'] {
  return { ...structuredClone(loadConfig().mq), transport: 'amqp', queueManager: 'QM.AMQP.TEST' };
}

transportConformance('amqp', async () => {
  const mq = amqpSection();
  const thresholds = new Map<string, number | null>();
  const backoutThreshold = (queue: string) => thresholds.get(queue) ?? null;
  const transports: AmqpQueueTransport[] = [];
  const queues: string[] = [];
  const fixture: TransportFixture = {
    connect: async () => {
      const transport = await createAmqpTransport(mq, { backoutThreshold });
      transports.push(transport);
      return transport;
    },
    createQueue: (options = {}) => {
      const queue = `test.mq.${uniqueSuffix()}`;
      thresholds.set(queue, options.backoutThreshold ?? null);
      queues.push(queue);
      return Promise.resolve(queue);
    },
    killConnection: (transport) => {
      (transport as AmqpQueueTransport).abortConnection();
      return Promise.resolve();
    },
    // The writer stamps the put time from this machine's clock.
    clockToleranceMs: 0,
    cleanup: async () => {
      await Promise.all(transports.map((t) => t.close()));
      await deleteQueues(
        mq,
        queues.flatMap((q) => [q, backoutQueueName(q)]),
      );
    },
  };
  return fixture;
});

async function deleteQueues(mq: StocklineConfig['mq'], queues: string[]): Promise<void> {
  const model = await connect(
    mq.amqpUrl.replace('://', `://${mq.user || 'guest'}:${mq.password || 'guest'}@`),
  );
  const channel = await model.createChannel();
  for (const queue of queues) await channel.deleteQueue(queue);
  await model.close();
}
