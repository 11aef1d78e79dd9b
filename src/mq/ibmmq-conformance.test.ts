import { FakeQueueManager } from '../../test/support/ibmmq-fake.js';
import { uniqueSuffix } from '../../test/support/config.js';
import { shippedConfig } from '../../test/support/options.js';
import type { StocklineConfig } from '../config/schema.js';
import { transportConformance, type TransportFixture } from '../../test/support/mq-conformance.js';
import { createIbmmqTransport } from './ibmmq-transport.js';
import type { QueueTransport } from './port.js';

/**
 * The MQ port's conformance suite (test/support/mq-conformance.ts) on the ibmmq transport, with
 * the in-memory fake queue manager (test/support/ibmmq-fake.ts) behind the MQI surface. This
 * proves the adapter against the fake's model of IBM MQ, not against a queue manager: none runs
 * here (the README's support matrix says so).
 */
transportConformance('ibmmq (fake MQI)', () => {
  const queueManager = new FakeQueueManager('QM.FAKE');
  const kills = new Map<QueueTransport, () => void>();
  const mq: StocklineConfig['mq'] = {
    ...shippedConfig().mq,
    transport: 'ibmmq',
    queueManager: 'QM.FAKE',
    connectionName: 'localhost(1414)',
    channel: 'DEV.APP.SVRCONN',
    user: 'app',
    password: 'passw0rd',
  };
  const fixture: TransportFixture = {
    // Each transport is a client of its own, as a replicator process would be, so that killing
    // one leaves the others connected.
    connect: async () => {
      const client = queueManager.client();
      const transport = await createIbmmqTransport(mq, () => Promise.resolve(client.mqi));
      kills.set(transport, client.kill);
      return transport;
    },
    createQueue: (options = {}) => {
      const queue = `TEST.MQ.${uniqueSuffix().toUpperCase()}`;
      queueManager.defineQueue(queue, { backoutThreshold: options.backoutThreshold ?? 0 });
      return Promise.resolve(queue);
    },
    killConnection: (transport) => {
      kills.get(transport)?.();
      return Promise.resolve();
    },
    // The transport writes put times to the hundredth of a second, as MQ keeps them.
    clockToleranceMs: 0,
    cleanup: async () => {
      await Promise.all([...kills.keys()].map((t) => t.close()));
    },
  };
  return Promise.resolve(fixture);
});
