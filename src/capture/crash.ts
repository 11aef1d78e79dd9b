// Crash points for the no-loss, no-duplicate test: the capture kills itself where told to.
import * as crashPoints from '../service/crash-points.js';

/**
 * Where the SAP capture can be told to die (env STOCKLINE_CRASH_AT), one per gap between the
 * steps of a transaction: after reading rows from SAP; between the records and the state records
 * of the Kafka transaction; with everything sent and the transaction not committed; after the
 * commit (before the capture's memory took it in); in the sweep, after it found late rows; in the
 * initial load, after reading the cut.
 */
export const CRASH_POINTS = [
  'after-read',
  'during-produce',
  'before-kafka-commit',
  'after-kafka-commit',
  'during-sweep',
  'during-initial-load',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

export type CrashHook = crashPoints.CrashHook<CrashPoint>;

/** The hook STOCKLINE_CRASH_AT asks for (service/crash-points.ts), or undefined. */
export const crashHookFromEnv = (env: NodeJS.ProcessEnv = process.env): CrashHook | undefined =>
  crashPoints.crashHookFromEnv(CRASH_POINTS, env);
