/**
 * Picks the queue transport that `mq.transport` names. Each is imported only when configured:
 * the ibmmq transport's package is optional and needs IBM's C library at load.
 */
import type { StocklineConfig } from '../config/schema.js';
import type { QueueTransport } from './port.js';

export async function createQueueTransport(mq: Readonly<StocklineConfig['mq']>): Promise<QueueTransport> {
  switch (mq.transport) {
    case 'amqp':
      return (await import('./amqp-transport.js')).createAmqpTransport(mq);
    case 'ibmmq':
      return (await import('./ibmmq-transport.js')).createIbmmqTransport(mq);
  }
}
