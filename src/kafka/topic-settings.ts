import type { StocklineConfig } from '../config/schema.js';
import type { TopicSpec } from './port.js';

/**
 * A topic stockline creates with the durability settings of the config: kafka.replicationFactor
 * and kafka.minInsyncReplicas, each left to the broker's default when 0.
 */
export function withTopicSettings(kafka: Readonly<StocklineConfig['kafka']>, spec: TopicSpec): TopicSpec {
  return {
    ...spec,
    ...(kafka.replicationFactor > 0 ? { replicationFactor: kafka.replicationFactor } : {}),
    config: {
      ...spec.config,
      ...(kafka.minInsyncReplicas > 0 ? { 'min.insync.replicas': String(kafka.minInsyncReplicas) } : {}),
    },
  };
}
