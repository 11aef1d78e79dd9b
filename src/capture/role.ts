import type { Role } from '../service/role.js';
import { captureConfigured, compileCaptureOptions, type CaptureOptions } from './options.js';
// Types only: the SAP driver and the Kafka clients load when the role starts.
import type { CaptureStats } from './service.js';

export const captureRole: Role<CaptureOptions, CaptureStats> = {
  name: 'sap-capture',
  description:
    'the SAP capture (MATDOC from SAP HANA or its PostgreSQL stand-in onto sap.<schema>.MATDOC, late commits included, exactly once)',
  reads: [
    'sap',
    'kafka',
    'mapper.canonicalTopic',
    'mapper.deadLetterTopic',
    'materializer.stockTopic',
    'mq.stateTopic',
    'mq.deadLetterTopic',
  ],
  enabled: captureConfigured,
  compile: compileCaptureOptions,
  load: async () => (await import('./service.js')).startCapture,
  metrics: {
    rows: 'MATDOC rows written to the raw topic (fast path, sweep, initial load)',
    sweepFinds: 'rows the sweep found: committed later than sap.safetyLagMs allowed (late commits)',
    levels: 'MARD rows written by initial loads',
    polls: 'polls of the fast path',
    sweeps: 'sweeps of the look-back window',
    transactions: 'Kafka transactions committed (records, keys and position together)',
    skipped: 'rows read again that were captured already (not written twice)',
    shrunkBuckets: 'entry buckets where SAP holds fewer rows than were captured (deleted or archived in SAP)',
    restarts: 'failures after which the capture resumed from its committed state',
  },
};
