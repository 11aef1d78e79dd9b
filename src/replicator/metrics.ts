// The replicator's Prometheus metrics, in the service's registry (src/observability/metrics.ts).
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../observability/metrics.js';

const labelNames = ['queue'] as const;
const commitBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const replicatorMetrics = {
  messages: new Counter({
    name: 'stockline_mqrepl_messages_total',
    help: 'messages taken from the queue and committed to their raw topic',
    labelNames,
    registers: [registry],
  }),
  batches: new Counter({
    name: 'stockline_mqrepl_batches_total',
    help: 'batches committed to Kafka and then to the queue',
    labelNames,
    registers: [registry],
  }),
  recoveryDiscards: new Counter({
    name: 'stockline_mqrepl_recovery_discards_total',
    help: 'messages the queue handed back after a crash or an uncertain queue commit that were already in Kafka: consumed, not produced again',
    labelNames,
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'stockline_mqrepl_dead_letters_total',
    help: 'messages sent to the dead-letter topic, by reason (backout-threshold, too-large)',
    labelNames: ['queue', 'reason'] as const,
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: 'stockline_mqrepl_queue_depth',
    help: 'messages on the queue, those of the open unit of work included (sampled at most once a second)',
    labelNames,
    registers: [registry],
  }),
  lag: new Gauge({
    name: 'stockline_mqrepl_lag_seconds',
    help: 'now minus the put time of the last message committed',
    labelNames,
    registers: [registry],
  }),
  kafkaCommit: new Histogram({
    name: 'stockline_mqrepl_kafka_commit_seconds',
    help: "time to commit one batch's Kafka transaction (records and state record)",
    labelNames,
    buckets: commitBuckets,
    registers: [registry],
  }),
  queueCommit: new Histogram({
    name: 'stockline_mqrepl_queue_commit_seconds',
    help: "time to commit one batch's unit of work on the queue",
    labelNames,
    buckets: commitBuckets,
    registers: [registry],
  }),
  holding: new Gauge({
    name: 'stockline_mqrepl_active',
    help: '1 while this process holds the queue for input and replicates it',
    labelNames,
    registers: [registry],
  }),
};
