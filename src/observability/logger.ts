import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that hold secrets anywhere they may appear in a log line: connector configs,
 * connection settings, HTTP headers. pino replaces their values before serialisation.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'config["database.password"]',
  '*.config["database.password"]',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
];

export interface LoggerOptions {
  level?: string;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: options.name ?? 'stockline',
      level: options.level ?? process.env.STOCKLINE_LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination(2),
  );
}
