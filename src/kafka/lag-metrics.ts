import type { KafkaAdmin } from './port.js';
import type { Logger } from '../observability/logger.js';
import { readCommitted, readTopicEnds, type TopicOffsets } from './consumer-lag.js';
import { metrics } from '../observability/metrics.js';

/** How often a role's consumer lag is read for stockline_consumer_lag. */
export const LAG_SAMPLE_MS = 5000;

export interface LagSamplerOptions {
  role: string;
  /** An admin client of the Kafka port, owned by the caller. */
  admin: KafkaAdmin;
  /** The topics the role reads now (a pattern's topics can change). */
  topics: () => Promise<string[]>;
  /** Where the role is per partition; default: the offsets its group committed in Kafka. */
  positions: (topics: string[]) => Promise<TopicOffsets>;
  log: Logger;
  intervalMs?: number;
}

/**
 * Sets stockline_consumer_lag{role, topic, partition}: the end of each partition minus the
 * role's position (its committed offset; the start of the partition when it has none).
 */
export async function sampleLag(options: LagSamplerOptions): Promise<void> {
  const topics = await options.topics();
  const { ends, starts } = await readTopicEnds(options.admin, topics);
  const positions = await options.positions([...ends.keys()]);
  for (const [topic, partitions] of ends)
    for (const [partition, end] of partitions) {
      const from = positions.get(topic)?.get(partition) ?? starts.get(topic)?.get(partition) ?? 0n;
      const lag = end > from ? end - from : 0n;
      metrics.consumerLag.set({ role: options.role, topic, partition: String(partition) }, Number(lag));
    }
}

/** Samples the lag now and then every intervalMs until stopped; a failed sample is logged and skipped. */
export function startLagSampler(options: LagSamplerOptions): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = sampleLag(options).catch((e: unknown) =>
      options.log.debug({ err: e, role: options.role }, 'consumer lag not read this time'),
    );
  };
  tick();
  const timer = setInterval(tick, options.intervalMs ?? LAG_SAMPLE_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** The positions of a consumer group as committed in Kafka. */
export const committedPositions =
  (admin: KafkaAdmin, groupId: string) =>
  (topics: string[]): Promise<TopicOffsets> =>
    readCommitted(admin, groupId, topics);
