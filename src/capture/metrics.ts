// The SAP capture's Prometheus metrics, in the service's registry (src/observability/metrics.ts).
import { Counter, Gauge } from 'prom-client';
import { registry } from '../observability/metrics.js';

const labelNames = ['table'] as const;

export const captureMetrics = {
  rows: new Counter({
    name: 'stockline_sapcapture_rows_total',
    help: 'MATDOC rows written to their raw topic, by the path that found them (poll, sweep, load)',
    labelNames: ['table', 'path'] as const,
    registers: [registry],
  }),
  polls: new Counter({
    name: 'stockline_sapcapture_polls_total',
    help: 'polls of the fast path',
    labelNames,
    registers: [registry],
  }),
  sweepFinds: new Counter({
    name: 'stockline_sapcapture_sweep_finds_total',
    help: 'rows the sweep found: committed in SAP later than the safety lag allowed (late commits)',
    labelNames,
    registers: [registry],
  }),
  lag: new Gauge({
    name: 'stockline_sapcapture_lag_seconds',
    help: "SAP's database clock minus the newest entry time the fast path has read up to (the safety lag when caught up)",
    labelNames,
    registers: [registry],
  }),
  lastPoll: new Gauge({
    name: 'stockline_sapcapture_last_poll_timestamp_seconds',
    help: 'when the last poll succeeded (seconds since the epoch)',
    labelNames,
    registers: [registry],
  }),
  capturedKeys: new Gauge({
    name: 'stockline_sapcapture_window_keys',
    help: 'keys the capture remembers for the sweep (the rows captured in the look-back window)',
    labelNames,
    registers: [registry],
  }),
  failures: new Counter({
    name: 'stockline_sapcapture_failures_total',
    help: 'steps that failed and were retried from the committed state',
    labelNames,
    registers: [registry],
  }),
};
