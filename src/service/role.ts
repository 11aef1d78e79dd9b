import type { StocklineConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';

/** Whether a running role does its work, and if not, why (a sentence for people). */
export interface RoleHealth {
  readonly ok: boolean;
  readonly reason?: string;
}

/**
 * The figures a role counts since it started (what `bench` reports and the demo shows): numbers,
 * or one level of named numbers (the materializer's milliseconds per phase). Plain data, so that
 * it crosses the benchmark's IPC channel as it is.
 */
export type RoleStats = Readonly<Record<string, number | Readonly<Record<string, number>>>>;

/** A running role of the service: the one shape every role's start returns. */
export interface RoleHandle<S extends RoleStats = RoleStats> {
  /** Stops consuming, finishes or abandons the current batch safely, closes connections. */
  stop(): Promise<void>;
  /** Settles when the role ends by itself (a fatal error rejects it). */
  done: Promise<void>;
  /** Whether it does its work now; never rejects (a failed check is a not-ok answer). */
  health(): Promise<RoleHealth>;
  /** A copy of its figures now. */
  stats(): S;
  /** The address it serves at (http://127.0.0.1:8080), for a role that listens; absent for the others. */
  readonly url?: string;
}

/** Starts a role from its compiled options only: no role sees the whole configuration. */
export type StartRole<O, S extends RoleStats> = (options: O, log: Logger) => Promise<RoleHandle<S>>;

/** A config section (`mapper`) or one key of it (`mapper.canonicalTopic`). */
export type ConfigKey = {
  [S in keyof StocklineConfig]: S | `${S}.${keyof StocklineConfig[S] & string}`;
}[keyof StocklineConfig];

/**
 * One role as `stockline run`, the demo and the benchmark know it (src/roles/registry.ts lists
 * them). `compile` is cheap and imports no client library, so that every role's options are
 * checked before any role starts; `load` imports the role's module only when it runs, so that
 * e.g. the API alone does not load Kafka.
 */
export interface Role<O = unknown, S extends RoleStats = RoleStats> {
  readonly name: string;
  /** What it does, in a few words (`stockline run --help`). */
  readonly description: string;
  /** The sections (or single keys of other roles' sections) its options are compiled from, its own first. */
  readonly reads: readonly ConfigKey[];
  /**
   * Whether the configuration asks for this role at all; absent: always. `stockline run` without
   * --role starts only the roles it enables (the MQ replicator only when mq.queues lists queues).
   */
  enabled?(config: Readonly<StocklineConfig>): boolean;
  /** Those sections -> frozen options; a combination that cannot work throws a ConfigError naming the keys. */
  compile(config: Readonly<StocklineConfig>): O;
  load(): Promise<StartRole<O, S>>;
  /** Each figure of its stats() and what it counts. */
  readonly metrics: { readonly [K in keyof S & string]: string };
}
