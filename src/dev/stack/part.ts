import type { StocklineConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { StackLayout } from './layout.js';
import type { StackSecrets } from './secrets.js';

export interface Health {
  healthy: boolean;
  /** What was checked, or why it failed. */
  detail: string;
}

export interface PartContext {
  config: StocklineConfig;
  layout: StackLayout;
  secrets: StackSecrets;
  log: Logger;
}

/**
 * One process of the local stack. `start` is only called when the part is not running and
 * its port is free; `stop` only stops what the stack itself started.
 */
export interface StackPart {
  readonly name: string;
  readonly port: number;
  /** false for services the machine provides (Redis): the stack checks them, never starts or stops them. */
  readonly managed: boolean;
  readonly logFile?: string;
  /** Pid of the running process that the stack started, if any. */
  pid(): number | undefined;
  start(): Promise<void>;
  /** Work after the first healthy start: schemas, users, sample data. Idempotent. */
  prepare?(): Promise<void>;
  health(): Promise<Health>;
  stop(): Promise<void>;
}
