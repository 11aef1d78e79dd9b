/**
 * Picks the queue transport that `mq.transport` names. The ibmmq transport joins here when its
 * module lands (it loads IBM's C library, so it is imported only when configured).
 */
import type { StocklineConfig } from '../config/schema.js';
import { createAmqpTransport } from './amqp-transport.js';
import { QueueTransportError } from './errors.js';
import type { QueueTransport } from './port.js';

export async function createQueueTransport(mq: Readonly<StocklineConfig['mq']>): Promise<QueueTransport> {
  switch (mq.transport) {
    case 'amqp':
      return createAmqpTransport(mq);
    case 'ibmmq':
      throw new QueueTransportError(
        'mq.transport ibmmq: the IBM MQ transport is not part of this build yet',
        { transport: 'ibmmq', queueManager: mq.queueManager },
        { retriable: false },
      );
  }
}
