import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, in one registry that the API serves at /metrics. Roles that
 * run in the same process (`stockline run`) record into it.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'stockline_' });

export const metrics = {
  eventsApplied: new Counter({
    name: 'stockline_materializer_events_applied_total',
    help: 'canonical events applied to the stock table',
    registers: [registry],
  }),
  eventsDuplicate: new Counter({
    name: 'stockline_materializer_events_duplicate_total',
    help: 'canonical events recognised as already applied',
    registers: [registry],
  }),
  batchSize: new Histogram({
    name: 'stockline_materializer_batch_events',
    help: 'events per applied batch',
    buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000],
    registers: [registry],
  }),
  batchDuration: new Histogram({
    name: 'stockline_materializer_batch_seconds',
    help: 'time to apply one batch (one database transaction)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
  eventAge: new Histogram({
    name: 'stockline_materializer_event_age_seconds',
    help: "from an event's time in its source (occurredAt) to the commit of its batch in the stock table, by source system and reason: how fresh the stock view is (for sales, occurredAt is the till's time; a transfer's receipt or a count carries an older business time)",
    labelNames: ['system', 'reason'] as const,
    buckets: [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'stockline_consumer_lag',
    help: 'records behind the end of the partition',
    labelNames: ['role', 'topic', 'partition'] as const,
    registers: [registry],
  }),
  mapped: new Counter({
    name: 'stockline_mapper_events_total',
    help: 'raw events the mapper read, by outcome (mapped, skipped, dead_letter)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'stockline_dead_letters_total',
    help: 'events sent to the dead-letter topic, by mapping and error code',
    labelNames: ['mapping', 'code'] as const,
    registers: [registry],
  }),
};
