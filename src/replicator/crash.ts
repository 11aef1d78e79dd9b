// Crash points for the no-loss, no-duplicate test: the replicator kills itself where told to.
import * as crashPoints from '../service/crash-points.js';

/**
 * Where a replicator can be told to die (env STOCKLINE_CRASH_AT), one per gap between the steps
 * of a batch: after the get; between two sends of the Kafka transaction; with every record sent
 * and the transaction not committed; after the Kafka commit and before the queue commit (the
 * gap the state record closes); after the queue commit; and while recovery discards a message
 * that is already in Kafka.
 */
export const CRASH_POINTS = [
  'after-get',
  'during-produce',
  'before-kafka-commit',
  'after-kafka-commit',
  'after-queue-commit',
  'during-recovery',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

export type CrashHook = crashPoints.CrashHook<CrashPoint>;

/** The hook STOCKLINE_CRASH_AT asks for (service/crash-points.ts), or undefined. */
export const crashHookFromEnv = (env: NodeJS.ProcessEnv = process.env): CrashHook | undefined =>
  crashPoints.crashHookFromEnv(CRASH_POINTS, env);
