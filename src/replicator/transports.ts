// The queue transport mq.transport names, loaded only when the replicator starts: the ibmmq
// package throws at load without IBM's C library, so nothing imports it before it is configured.
import { ConfigError } from '../errors.js';
import type { QueueTransport } from '../mq/port.js';
import type { Logger } from '../observability/logger.js';
import type { MqSection } from './options.js';

/** Opens one connection to the queue manager (or broker) of the mq section. */
export type ConnectTransport = (mq: Readonly<MqSection>, log: Logger) => Promise<QueueTransport>;

export const connectTransport: ConnectTransport = (mq) => {
  return Promise.reject(
    new ConfigError(`mq.transport ${mq.transport} is not available in this build`, {
      keys: ['mq.transport'],
    }),
  );
};
