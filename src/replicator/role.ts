import type { Role } from '../service/role.js';
import { compileReplicatorOptions, replicatorConfigured, type ReplicatorOptions } from './options.js';
// Types only: the Kafka clients and the queue transport load when the role starts.
import type { ReplicatorStats } from './service.js';

export const replicatorRole: Role<ReplicatorOptions, ReplicatorStats> = {
  name: 'mq-replicator',
  description: 'the MQ replicator (each queue of mq.queues onto its raw topic, no loss, no duplicate)',
  reads: [
    'mq',
    'kafka',
    'mapper.canonicalTopic',
    'mapper.deadLetterTopic',
    'materializer.stockTopic',
    'materializer.canonicalTopic',
  ],
  enabled: replicatorConfigured,
  compile: compileReplicatorOptions,
  load: async () => (await import('./service.js')).startReplicator,
  metrics: {
    messages: 'messages committed to their raw topic',
    batches: 'batches committed to Kafka (and then to the queue)',
    recoveries: 'recoveries: at start, after an uncertain queue commit, after a failed Kafka transaction',
    recoveryDiscards:
      'messages handed back after a crash that were already in Kafka: consumed, not produced again',
    deadLetters: 'messages sent to mq.deadLetterTopic (backout threshold reached, too large for Kafka)',
    queueDepth: 'messages on its queues, sampled at most once a second (0 before the first sample)',
    queuesHeld: 'queues this process holds for input now',
  },
};
