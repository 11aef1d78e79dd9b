import { logLevel, type LogEntry } from 'kafkajs';
import { createLogger, type Logger } from '../observability/logger.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Broker answers that kafkajs retries by itself, and that are routine: a group coordinator
 * still loading at start, a transaction coordinator still writing the last transaction's
 * markers (every back-to-back transaction meets it). kafkajs logs each at ERROR; when the
 * retries run out, the error reaches our code, which logs it with its context.
 */
const ROUTINE_RETRIES = [
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'The coordinator is loading and hence can',
  'another concurrent operation on the same transaction was ongoing',
  'There is no leader for this topic-partition',
  'This server does not host this topic-partition',
];

/** The level a kafkajs log entry gets in the service's log. */
export function levelOf(entry: Pick<LogEntry, 'level' | 'log'>): 'error' | 'warn' | 'info' | 'debug' {
  const level = levels[entry.level] ?? 'info';
  if (level !== 'error') return level;
  const error = (entry.log as { error?: unknown }).error;
  const text = `${entry.log.message} ${typeof error === 'string' ? error : ''}`;
  return ROUTINE_RETRIES.some((routine) => text.includes(routine)) ? 'debug' : level;
}

/** kafkajs logs through pino like the rest of the service, as JSON with secrets redacted. */
export function createKafkaLogCreator(): (entry: LogEntry) => void {
  const log: Logger = createLogger({ name: 'kafkajs' });
  return (entry) => {
    const {
      namespace,
      log: { message, ...extra },
    } = entry;
    log[levelOf(entry)]({ namespace, ...extra }, message);
  };
}
