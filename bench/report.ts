// The benchmark's outputs: results.json (everything measured), results.md (the tables for the
// README and the closing note) and results.svg (throughput against the targets, and latency
// per rate step).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { E2eResult } from './e2e-stage.js';
import type { KafkaClientName, MapperResult } from './mapper-stage.js';
import type { MaterializerResult } from './materializer-stage.js';
import type { ReplicatorResult } from './replicator-stage.js';
import type { CaptureResult } from './capture-stage.js';
import type { PeerResult } from './peer-stage.js';

export const TARGETS = {
  mapperEventsPerSecond: 100_000,
  materializerEventsPerSecond: 50_000,
  endToEndPerMinute: 1_000_000,
  p99Seconds: 1,
  rssMb: 512,
};

export interface CeilingResult {
  client: KafkaClientName;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** The bare loop's process (the benchmark's own) over the same window, user + system. */
  cpuSeconds: number;
  cpuMicrosPerMessage: number;
}

export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  events: number;
  targets: typeof TARGETS;
  ceiling: CeilingResult[];
  mapper: (MapperResult & { ratioOfCeiling: number | null; cpuRatioOfCeiling?: number | null })[];
  materializer: MaterializerResult | null;
  endToEnd: E2eResult | null;
  /** The MQ replicator stage; absent in results written before it existed. */
  replicator?: ReplicatorResult | null;
  /** The SAP capture stage; absent in results written before it existed. */
  capture?: CaptureResult | null;
  /** The Kafka Streams peer over the materializer stage's events; absent in results written before it existed. */
  peer?: (PeerResult & { ratioMaterializerToPeer: number }) | null;
  memory: { stage: string; role: string; peakRssMb: number }[];
  failures: { stage: string; message: string }[];
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const µs = (x: number | undefined | null, digits = 1) =>
  x === undefined || x === null ? '–' : x.toFixed(digits);
const ratio = (x: number | undefined | null) => (x === undefined || x === null ? '–' : x.toFixed(2));
const ms = (s: number | null) => (s === null ? '–' : `${n(s * 1000)} ms`);
const mark = (ok: boolean) => (ok ? 'met' : 'missed');

export function markdown(r: BenchResults): string {
  const lines: string[] = [];
  const out = (s = '') => lines.push(s);
  out(`# stockline benchmark, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`);
  out();
  out(
    `${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; Kafka, Connect, PostgreSQL and MariaDB on the same machine. ${n(r.events)} preloaded events per throughput stage.`,
  );
  out();
  out('## Throughput');
  out();
  out(
    "CPU per event: user + system time of the role's process (every thread) over the timed window, divided by the events in it; the bare consume loop runs in the benchmark's own process. The benchmark's own CPU while a role runs is in the last column.",
  );
  out();
  out(
    "| stage | client | code | events/s | CPU µs/event | ratio of the client's ceiling (events/s) | CPU ratio to the ceiling | benchmark's own CPU µs/event | target | |",
  );
  out('|---|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const c of r.ceiling)
    out(
      `| bare consume loop (ceiling) | ${c.client} | | ${n(c.messagesPerSecond)} | ${µs(c.cpuMicrosPerMessage)} | 1.00 | 1.00 | | | |`,
    );
  for (const m of r.mapper)
    out(
      `| mapper | ${m.client} | ${m.code ?? 'current'} | ${n(m.eventsPerSecond)} | ${µs(m.cpuMicrosPerEvent)} | ${ratio(m.ratioOfCeiling)} | ${ratio(m.cpuRatioOfCeiling)} | ${µs(m.parentCpuMicrosPerEvent, 2)} | ${n(TARGETS.mapperEventsPerSecond)} | ${mark(m.eventsPerSecond >= TARGETS.mapperEventsPerSecond)} |`,
    );
  if (r.materializer)
    out(
      `| materializer | kafkajs | current | ${n(r.materializer.eventsPerSecond)} |${r.materializer.cpuMicrosPerEvent === undefined ? '' : ` ${µs(r.materializer.cpuMicrosPerEvent)}`} | | | | ${n(TARGETS.materializerEventsPerSecond)} | ${mark(r.materializer.eventsPerSecond >= TARGETS.materializerEventsPerSecond)} |`,
    );
  if (r.peer && r.materializer) {
    const p = r.peer;
    const m = r.materializer;
    out();
    out('## Materializer and a Kafka Streams peer, same events');
    out();
    out(
      `The same ${n(p.events)} canonical events on ${p.partitions} partitions, preloaded once: first the materializer role (the configured Kafka client, \`kafka.client\`; PostgreSQL on this machine; its CPU without PostgreSQL's), then a Kafka Streams ${p.kafkaStreams} application (Java ${p.java}, one stream thread, \`exactly_once_v2\`, Jackson, BigDecimal, a RocksDB store with its changelog, an output topic; bench/kafka-streams-peer). Events/s from the first committed offset to the last partition caught up, for both. CPU: the materializer's is its measuring process's (the role and the benchmark's polling) from the role's start to its stop; the peer's is the JVM's (every thread, /proc/self/stat) from its start to caught up (${p.cpuSecondsWhileApplying.toFixed(1)} of its ${p.cpuSeconds.toFixed(1)} s in the timed window). The materializer writes a SQL stock table with totals per region and kind in the same transaction and publishes the stock topic; the peer keeps its totals in RocksDB and its changelog, and publishes them to its output topic.`,
    );
    out();
    out('| | events/s | CPU µs/event | peak RSS | startup |');
    out('|---|---:|---:|---:|---:|');
    out(`| materializer | ${n(m.eventsPerSecond)} | ${µs(m.cpuMicrosPerEvent)} | ${n(m.peakRssMb)} MB | |`);
    out(
      `| Kafka Streams peer | ${n(p.eventsPerSecond)} | ${µs(p.cpuMicrosPerEvent)} | ${n(p.peakRssMb)} MB | ${p.startupSeconds.toFixed(1)} s |`,
    );
    out(
      `| materializer / peer | ${ratio(p.ratioMaterializerToPeer)} | ${m.cpuMicrosPerEvent === undefined ? '–' : ratio(m.cpuMicrosPerEvent / p.cpuMicrosPerEvent)} | | |`,
    );
  }
  if (r.replicator) {
    const q = r.replicator;
    out();
    out('## MQ replicator (RabbitMQ to Kafka)');
    out();
    out(
      `${n(q.messages)} persistent messages of 87 bytes preloaded on a RabbitMQ quorum queue; batches of ${n(q.batchSize)}. The replicator role in a process of its own: per batch one Kafka transaction (records and state record) and one queue commit. The bare consume is amqplib on the same queue, prefetch and a multiple ack per batch of the same size, no Kafka.`,
    );
    out();
    out('| stage | messages/s | ratio of the bare consume | batches | records on the raw topic |');
    out('|---|---:|---:|---:|---:|');
    out(`| bare consume (amqplib) | ${n(q.bare.messagesPerSecond)} | 1.00 | | |`);
    out(
      `| MQ replicator | ${n(q.messagesPerSecond)} | ${q.ratioOfBare.toFixed(2)} | ${n(q.batches)} | ${n(q.replicated)} |`,
    );
  }
  if (r.capture) {
    const c = r.capture;
    out();
    out('## SAP capture (stand-in MATDOC to Kafka)');
    out();
    out(
      `${n(c.rows)} MATDOC rows preloaded in a stand-in schema of the run's own (PostgreSQL); the sap-capture role in a process of its own: keyset polls of ${n(c.batchSize)} rows, one Kafka transaction each (records, the keys per minute bucket, the position), the sweep every ${n(c.sweepIntervalMs / 1000)} s (one GROUP BY over the window).`,
    );
    out();
    out('| stage | rows/s | transactions | sweeps | sweep finds |');
    out('|---|---:|---:|---:|---:|');
    out(
      `| SAP capture | ${n(c.rowsPerSecond)} | ${n(c.transactions)} | ${n(c.sweeps)} | ${n(c.sweepFinds)} |`,
    );
  }
  if (r.endToEnd) {
    const e = r.endToEnd;
    out();
    out(`## End to end (mapper on ${e.client})`);
    out();
    out(
      "Latency: from a store till line's time in the source (sales and returns in PostgreSQL and MariaDB, captured by Debezium) to the commit of its batch in the stock table, from the materializer's `stockline_materializer_event_age_seconds` histogram (interpolated within buckets). The simulator commits its writes up to 100 ms after their source time, so the figures include that. Keeps up: the sources achieved 95% of the target, the stock table matched the simulator's expectation, and the pipeline drained within 5 s after the writes stopped.",
    );
    out();
    out(
      '| target /min | achieved /min | events | max lag mapper | max lag materializer | drained in | stock table | p50 | p95 | p99 | keeps up |',
    );
    out('|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|');
    for (const s of e.steps)
      out(
        `| ${n(s.targetRate * 60)} | ${n(s.achievedRate * 60)} | ${n(s.events)} | ${n(s.maxLag.mapper)} | ${n(s.maxLag.materializer)} | ${s.drainSeconds.toFixed(1)} s | ${s.verified}${s.differences ? ` (${s.differences} differ)` : ''} | ${ms(s.latencySeconds.p50)} | ${ms(s.latencySeconds.p95)} | ${ms(s.latencySeconds.p99)} | ${s.keepsUp ? 'yes' : 'no'} |`,
      );
    out();
    out(
      `Highest sustained rate: ${e.highestSustainedRate === null ? 'none of the steps' : `${n(e.highestSustainedRate * 60)} per minute`} (target ${n(TARGETS.endToEndPerMinute)}, p99 ≤ ${TARGETS.p99Seconds} s).`,
    );
  }
  out();
  out('## Memory (peak RSS)');
  out();
  out('| stage | role | peak RSS | target | |');
  out('|---|---|---:|---:|---|');
  for (const m of r.memory)
    out(
      `| ${m.stage} | ${m.role} | ${n(m.peakRssMb)} MB | ${TARGETS.rssMb} MB | ${mark(m.peakRssMb < TARGETS.rssMb)} |`,
    );
  if (r.failures.length > 0) {
    out();
    out('## Stages that failed');
    out();
    for (const f of r.failures) out(`- ${f.stage}: ${f.message}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function chart(r: BenchResults): Promise<string> {
  const throughput = [
    ...r.ceiling.map((c) => ({ stage: `ceiling (${c.client})`, rate: c.messagesPerSecond, target: null })),
    ...r.mapper.map((m) => ({
      stage: `mapper (${m.client}${m.code && m.code !== 'current' ? `, ${m.code}` : ''})`,
      rate: m.eventsPerSecond,
      target: TARGETS.mapperEventsPerSecond,
    })),
    ...(r.materializer
      ? [
          {
            stage: 'materializer',
            rate: r.materializer.eventsPerSecond,
            target: TARGETS.materializerEventsPerSecond,
          },
        ]
      : []),
    ...(r.peer ? [{ stage: 'Kafka Streams peer', rate: r.peer.eventsPerSecond, target: null }] : []),
    ...(r.replicator
      ? [
          { stage: 'bare consume (RabbitMQ)', rate: r.replicator.bare.messagesPerSecond, target: null },
          { stage: 'MQ replicator', rate: r.replicator.messagesPerSecond, target: null },
        ]
      : []),
    ...(r.capture ? [{ stage: 'SAP capture', rate: r.capture.rowsPerSecond, target: null }] : []),
    ...(r.endToEnd?.highestSustainedRate
      ? [
          {
            stage: 'end to end, sustained',
            rate: r.endToEnd.highestSustainedRate,
            target: TARGETS.endToEndPerMinute / 60,
          },
        ]
      : []),
  ];
  const latency = (r.endToEnd?.steps ?? []).flatMap((s) =>
    (['p50', 'p95', 'p99'] as const).map((q) => ({
      perMinute: s.achievedRate * 60,
      quantile: q,
      ms: s.latencySeconds[q] === null ? null : s.latencySeconds[q] * 1000,
    })),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    vconcat: [
      {
        title: 'events per second (bars) and targets (ticks)',
        data: { values: throughput },
        width: 480,
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: { field: 'stage', type: 'nominal', sort: null, title: null },
              x: { field: 'rate', type: 'quantitative', title: 'events/s' },
            },
          },
          {
            mark: { type: 'tick', color: 'firebrick', thickness: 3 },
            encoding: {
              y: { field: 'stage', type: 'nominal', sort: null },
              x: { field: 'target', type: 'quantitative' },
            },
          },
        ],
      },
      ...(latency.length > 0
        ? [
            {
              title: 'end to end: source change to stock row, by achieved rate',
              data: { values: latency },
              width: 480,
              layer: [
                {
                  mark: { type: 'line' as const, point: true },
                  encoding: {
                    x: {
                      field: 'perMinute',
                      type: 'quantitative' as const,
                      title: 'source events per minute',
                    },
                    y: { field: 'ms', type: 'quantitative' as const, title: 'latency (ms)' },
                    color: { field: 'quantile', type: 'nominal' as const },
                  },
                },
                {
                  data: { values: [{ ms: TARGETS.p99Seconds * 1000 }] },
                  mark: { type: 'rule' as const, color: 'firebrick', strokeDash: [4, 4] },
                  encoding: { y: { field: 'ms', type: 'quantitative' as const } },
                },
              ],
            },
          ]
        : []),
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

export async function writeReport(dir: string, r: BenchResults): Promise<string[]> {
  const files = {
    json: path.join(dir, 'results.json'),
    md: path.join(dir, 'results.md'),
    svg: path.join(dir, 'results.svg'),
  };
  writeFileSync(files.json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(files.md, markdown(r));
  writeFileSync(files.svg, await chart(r));
  return Object.values(files);
}
