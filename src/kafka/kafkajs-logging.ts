import { logLevel, type LogEntry } from 'kafkajs';
import { createLogger } from '../observability/logger.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through pino like the rest of the service, as JSON with secrets redacted. */
export function createKafkaLogCreator(): (entry: LogEntry) => void {
  const log = createLogger({ name: 'kafkajs' });
  return ({ level, namespace, log: { message, ...extra } }) => {
    log[levels[level] ?? 'info']({ namespace, ...extra }, message);
  };
}
