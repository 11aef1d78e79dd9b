import type { StocklineConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';

/** A running role of the service (mapper, materializer, API). */
export interface RoleHandle {
  /** Stops consuming, finishes or abandons the current batch safely, closes connections. */
  stop(): Promise<void>;
  /** Settles when the role ends by itself (a fatal error rejects it). */
  done: Promise<void>;
}

export type StartRole = (config: Readonly<StocklineConfig>, log: Logger) => Promise<RoleHandle>;
