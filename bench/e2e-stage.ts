// End to end: the simulator writes into the store databases, SAP stand-in and mainframe queue
// at a target rate; Debezium captures; the MQ replicator (when mq.queues lists the queue, as
// the development configuration does), mapper, materializer and API run each in a process of
// their own, as in production. Per rate step: what the sources achieved, the consumer lag
// over time, how long the pipeline took to drain after the writes stopped, whether the stock
// table then matched the simulator's independent expectation, and the latency from the
// source's time of each store change to the commit of its batch in the stock table.
import { setTimeout as sleep } from 'node:timers/promises';
import type { StocklineConfig } from '../src/config/schema.js';
import { parseSimulateFlags } from '../src/dev/simulator/options.js';
import { simulate } from '../src/dev/simulator/simulate.js';
import { replicatorConfigured } from '../src/replicator/options.js';
import { awaitStock, stockTableReader } from '../src/dev/simulator/verify.js';
import { createStockDb } from '../src/stock/db.js';
import { mapperLag, materializerLag } from './lag.js';
import type { KafkaClientName } from './mapper-stage.js';
import { bucketsOf, quantile } from './percentiles.js';
import { RoleProcess, type ChildReport } from './protocol.js';
import type { KafkaAdmin } from '../src/kafka/port.js';

export const EVENT_AGE_METRIC = 'stockline_materializer_event_age_seconds';
/**
 * Latency is measured over till lines (sales and returns) of the stores, captured by Debezium:
 * their time in the source is the till's, to the microsecond, and the simulator commits them
 * within its 100 ms tick. SAP writes whole local seconds; a transfer's receipt or a count
 * carries an older business time (shipping, counting) that is not pipeline latency.
 */
const TIMED_SYSTEMS = new Set(['store-pg', 'store-maria']);
const TIMED_REASONS = new Set(['sale', 'return']);
/** Drained within this long after the writes stopped: the lag stayed bounded. */
const KEEPS_UP_DRAIN_SECONDS = 5;

export interface LagSample {
  second: number;
  mapper: number;
  materializer: number;
}

export interface E2eStep {
  targetRate: number;
  achievedRate: number;
  events: number;
  seconds: number;
  lag: LagSample[];
  maxLag: { mapper: number; materializer: number };
  drainSeconds: number;
  verified: 'matched' | 'settled' | 'timeout';
  differences: number;
  latencySeconds: { p50: number | null; p95: number | null; p99: number | null; samples: number };
  keepsUp: boolean;
}

export interface E2eResult {
  client: KafkaClientName;
  steps: E2eStep[];
  highestSustainedRate: number | null;
  peakRssMb: Record<string, number>;
}

export async function endToEnd(input: {
  config: Readonly<StocklineConfig>;
  admin: KafkaAdmin;
  client: KafkaClientName;
  rates: number[];
  stepSeconds: number;
  items: number;
  log: (line: string) => void;
}): Promise<E2eResult> {
  const { config, admin, client, rates, stepSeconds, log } = input;
  const roles: RoleProcess[] = [];
  const db = createStockDb(config, { applicationName: 'stockline-bench' });
  try {
    roles.push(await RoleProcess.start('mapper', { kafka: { client } }));
    roles.push(await RoleProcess.start('materializer', {}));
    const materializer = roles[1]!;
    roles.push(await RoleProcess.start('api', { api: { port: 0 } }));
    // The mainframe's records reach Kafka through the queue.
    if (replicatorConfigured(config)) roles.push(await RoleProcess.start('mq-replicator', {}));
    const lagNow = async (): Promise<Omit<LagSample, 'second'>> => ({
      mapper: await mapperLag(admin, config.mapper.groupId),
      materializer: await materializerLag(
        admin,
        db,
        config.materializer.groupId,
        config.mapper.canonicalTopic,
      ),
    });
    await drainBacklog(lagNow, log);

    const steps: E2eStep[] = [];
    for (const rate of rates) {
      await materializer.report(true);
      const lag: LagSample[] = [];
      const started = Date.now();
      const sampler = setInterval(() => {
        void lagNow()
          .then((l) => lag.push({ second: Math.round((Date.now() - started) / 100) / 10, ...l }))
          .catch(() => undefined);
      }, 1000);
      const options = parseSimulateFlags({
        duration: `${stepSeconds}s`,
        rate: String(rate),
        items: String(input.items),
      });
      let report;
      try {
        report = await simulate(config, options);
      } finally {
        clearInterval(sampler);
      }
      const { expectation } = report;
      const caughtUp = await awaitStock(stockTableReader(db, expectation.skuPrefix), expectation.stock, {
        timeoutMs: 180_000,
        settleMs: 30_000,
        pollMs: 250,
      });
      const metrics = (await materializer.report()).metrics;
      const buckets = bucketsOf(
        metrics,
        EVENT_AGE_METRIC,
        (l) => TIMED_SYSTEMS.has(String(l.system)) && TIMED_REASONS.has(String(l.reason)),
      );
      const drainSeconds = caughtUp.waitedMs / 1000;
      const step: E2eStep = {
        targetRate: rate,
        achievedRate: expectation.run.achievedRate,
        events: expectation.run.events,
        seconds: expectation.run.elapsedSeconds,
        lag,
        maxLag: {
          mapper: Math.max(0, ...lag.map((l) => l.mapper)),
          materializer: Math.max(0, ...lag.map((l) => l.materializer)),
        },
        drainSeconds,
        verified: caughtUp.ending,
        differences: caughtUp.comparison.differences.length,
        latencySeconds: {
          p50: quantile(buckets, 0.5),
          p95: quantile(buckets, 0.95),
          p99: quantile(buckets, 0.99),
          samples: buckets.at(-1)?.count ?? 0,
        },
        keepsUp:
          caughtUp.ending === 'matched' &&
          expectation.run.achievedRate >= 0.95 * rate &&
          drainSeconds <= KEEPS_UP_DRAIN_SECONDS,
      };
      steps.push(step);
      log(
        `  ${rate}/s: achieved ${Math.round(step.achievedRate)}/s, max lag mapper ${step.maxLag.mapper} materializer ${step.maxLag.materializer}, drained in ${drainSeconds.toFixed(1)} s (${step.verified}), p50/p95/p99 ${[step.latencySeconds.p50, step.latencySeconds.p95, step.latencySeconds.p99].map((s) => (s === null ? '-' : `${Math.round(s * 1000)} ms`)).join('/')}`,
      );
    }
    const reports: ChildReport[] = [];
    for (const role of roles.splice(0)) reports.push(await role.stop());
    const sustained = steps.filter((s) => s.keepsUp).map((s) => s.achievedRate);
    return {
      client,
      steps,
      highestSustainedRate: sustained.length > 0 ? Math.max(...sustained) : null,
      peakRssMb: Object.fromEntries(reports.map((r) => [r.role, r.peakRssMb])),
    };
  } finally {
    for (const role of roles) role.kill();
    await db.destroy();
  }
}

/** What the dev stack already holds is not part of the measurement: let the roles read it first. */
async function drainBacklog(lagNow: () => Promise<Omit<LagSample, 'second'>>, log: (line: string) => void) {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const lag = await lagNow().catch(() => ({ mapper: Infinity, materializer: Infinity }));
    if (lag.mapper + lag.materializer < 100) return;
    if (Date.now() > deadline)
      throw new Error(`the pipeline did not drain the stack's backlog in 10 min (${JSON.stringify(lag)})`);
    log(
      `  draining the stack's backlog first: mapper ${lag.mapper}, materializer ${lag.materializer} behind`,
    );
    await sleep(5000);
  }
}
