import type { Role } from '../service/role.js';
import { compileMaterializerOptions, type MaterializerOptions } from './options.js';
// Types only: the service module (Kafka, PostgreSQL) loads when the role starts.
import type { MaterializerStats } from './service.js';

export const materializerRole: Role<MaterializerOptions, MaterializerStats> = {
  name: 'materializer',
  description: 'canonical topic -> stock tables (exactly once) -> stock topic',
  reads: ['materializer', 'stockDb', 'kafka', 'mapper.canonicalTopic', 'mapper.canonicalPartitions'],
  compile: compileMaterializerOptions,
  load: async () => (await import('./service.js')).startMaterializer,
  metrics: {
    batches: 'batches applied, each in one database transaction',
    events: 'canonical events in them',
    applied: 'events that changed the stock',
    duplicates: 'events applied before (replays, re-snapshots), not applied again',
    beforeLevel: "movements that occurred before their key's last count (which includes them): not applied",
    beforeHorizon: 'events that occurred before the ledger horizon, not applied',
    rejected: 'events kept in stock_rejected_events',
    exactRetries:
      'batches planned again from the rows and ledger the store read (movements applied before, a later level, a moved horizon)',
    fenced: "batches not applied because the partition's stored position moved (another consumer applied it)",
    ms: 'milliseconds spent per phase: decode, plan, store, publish, publishWait',
  },
};
