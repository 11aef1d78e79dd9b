// The mapper's own work per event, without Kafka: the batch mapper of the role (src/mapper/
// mapper.ts) over Debezium sale lines made as the benchmark's preload makes them, in batches of
// 5,000 as the node-rdkafka pipeline hands them over, through the shipped store-pg mapping.
// Reports user + system CPU per event of this process over the timed passes: the part of the
// role's CPU per event that is stockline's code (parse, map, ids, validation, CloudEvents
// message) rather than the Kafka client's.
//
//   npx tsx bench/mapping-only.ts [--events 200000] [--passes 3] [--root ../other-checkout]
//
// --root maps with another checkout's code (the previous commit's), to compare in one sitting.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { KafkaRecord, OutgoingRecord } from '../src/kafka/port.js';
import type * as Mapper from '../src/mapper/mapper.js';
import type * as MappingFiles from '../src/mapper/mapping-files.js';
import type * as Logger from '../src/observability/logger.js';
import { saleLine, TEMPLATE_TOPIC, type DebeziumTemplate } from './preload.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    passes: { type: 'string', default: '3' },
    root: { type: 'string' },
  },
});
const root = args.root ? path.resolve(args.root) : undefined;
const from = async <T>(module: string): Promise<T> =>
  (await import(
    root
      ? pathToFileURL(path.join(root, 'src', module)).href
      : new URL(`../src/${module}`, import.meta.url).href
  )) as T;
const { createBatchMapper, emptyStats } = await from<typeof Mapper>('mapper/mapper.ts');
const { readMappings } = await from<typeof MappingFiles>('mapper/mapping-files.ts');
const { createLogger } = await from<typeof Logger>('observability/logger.ts');

/** A sale line as the store-pg connector writes it (the shape captureTemplate reads). */
const template: DebeziumTemplate = {
  key: { sale_line_id: 1 },
  value: {
    before: null,
    after: {
      sale_line_id: 1,
      sale_id: 1,
      line_no: 1,
      location_id: 'S001',
      sku: '100200',
      quantity: '1.000',
      unit: 'EA',
      unit_price: '8.37',
      sold_at: '2026-11-20T08:00:00.000000Z',
    },
    source: {
      version: '3.5.0.Final',
      connector: 'postgresql',
      name: 'store-pg',
      ts_ms: 0,
      snapshot: 'false',
      db: 'store',
      sequence: '["1","2"]',
      ts_us: 0,
      ts_ns: 0,
      schema: 'public',
      table: 'sale_lines',
      txId: 1,
      lsn: 2,
      xmin: null,
      origin: null,
      origin_lsn: null,
    },
    transaction: null,
    op: 'c',
    ts_ms: 0,
  },
  headers: {
    '__debezium.context.connectorLogicalName': 'store-pg',
    '__debezium.context.taskId': '0',
    '__debezium.context.connectorName': 'store-pg',
    '__debezium.context.runId': 'c0d1f5a2-0000-4000-8000-000000000000',
  },
};

const events = Number(args.events);
let x = 20261125;
const rand = () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0), x / 2 ** 32);
const headers = Object.fromEntries(Object.entries(template.headers).map(([k, v]) => [k, Buffer.from(v)]));
const records: KafkaRecord[] = [];
for (let i = 0; i < events; i++) {
  const { key, value } = saleLine(template, i, rand);
  records.push({
    topic: TEMPLATE_TOPIC,
    partition: 0,
    offset: String(i),
    timestamp: '0',
    key: Buffer.from(key),
    value: Buffer.from(value),
    headers: { ...headers },
  });
}

const { mappings } = readMappings('mappings');
const stats = emptyStats();
const map = createBatchMapper(
  mappings.filter((m) => m.enabled && m.matchesTopic(TEMPLATE_TOPIC)),
  { canonical: 'inventory.events.v1', deadLetter: 'stockline.deadletter' },
  stats,
  createLogger({ level: 'warn' }),
);
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const pass = async () => {
  let produced = 0;
  for (let start = 0; start < records.length; start += 5000) {
    const out: OutgoingRecord[] = await map({
      topic: TEMPLATE_TOPIC,
      partition: 0,
      records: records.slice(start, start + 5000),
    });
    produced += out.length;
  }
  return produced;
};
await pass(); // warm-up: compiled code, caches
const passes = Number(args.passes);
const perPass: number[] = [];
for (let p = 0; p < passes; p++) {
  const before = cpu();
  const produced = await pass();
  perPass.push(((cpu() - before) * 1e6) / events);
  if (produced !== events) throw new Error(`produced ${produced} of ${events}`);
}
const best = Math.min(...perPass);
process.stdout.write(
  `${JSON.stringify({ code: root ?? 'current', events, passes: perPass.map((v) => Number(v.toFixed(2))), bestMicrosPerEvent: Number(best.toFixed(2)) })}\n`,
);
