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
