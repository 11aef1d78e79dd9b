import { loadConfig } from '../config/load.js';
import type { StocklineConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../observability/logger.js';

export interface CliContext {
  config: Readonly<StocklineConfig>;
  log: Logger;
}

let cached: CliContext | undefined;

/** Config is loaded (and refused if invalid) before any command does work. */
export function cliContext(): CliContext {
  if (!cached) {
    const config = loadConfig();
    cached = { config, log: createLogger({ level: config.log.level }) };
  }
  return cached;
}
