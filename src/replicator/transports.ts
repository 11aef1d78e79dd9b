// The queue transport mq.transport names, as the replicator connects to it.
import type { QueueTransport } from '../mq/port.js';
import type { Logger } from '../observability/logger.js';
import type { MqSection } from './options.js';

/** Opens one connection to the queue manager (or broker) of the mq section. */
export type ConnectTransport = (mq: Readonly<MqSection>, log: Logger) => Promise<QueueTransport>;

/**
 * src/mq/transports.ts picks the transport; on RabbitMQ the replicator declares its queues with
 * mq.backoutThreshold as their delivery limit, so that the queue's own threshold (what
 * backoutThreshold() answers) is the configured one. Imported when the role starts: the ibmmq
 * package throws at load without IBM's C library.
 */
export const connectTransport: ConnectTransport = async (mq) => {
  if (mq.transport === 'amqp') {
    const { createAmqpTransport } = await import('../mq/amqp-transport.js');
    return createAmqpTransport(mq, {
      backoutThreshold: () => mq.backoutThreshold,
      applicationName: 'stockline-mqrepl',
    });
  }
  const { createQueueTransport } = await import('../mq/transports.js');
  return createQueueTransport(mq);
};
