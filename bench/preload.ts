// One million Debezium change events on a raw topic, made from a real one: the first sale line
// the store-pg connector captured is the template, and each copy gets its own line id, item,
// store, quantity, time and log position, so that the mapper does the work it does in
// production (parse the envelope, evaluate the mapping, build and key the canonical event).
import type { Kafka } from 'kafkajs';
import { createKafkaReader } from '../src/kafka/kafkajs-reader.js';
import type { KafkaRecord } from '../src/kafka/port.js';

export const TEMPLATE_TOPIC = 'store-pg.public.sale_lines';

export interface DebeziumTemplate {
  key: Record<string, unknown>;
  value: { after: Record<string, unknown>; source: Record<string, unknown> } & Record<string, unknown>;
  headers: Record<string, string>;
}

/** The first captured sale line, as the connector wrote it. */
export async function captureTemplate(brokers: string[], timeoutMs = 60_000): Promise<DebeziumTemplate> {
  let found: KafkaRecord | undefined;
  await createKafkaReader({ brokers, clientId: 'stockline-bench' }).read({
    topics: [TEMPLATE_TOPIC],
    fromBeginning: true,
    waitForTopicsMs: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
    onRecord: (record) => {
      if (record.value === null || record.key === null) return true;
      found = record;
      return false;
    },
  });
  if (!found)
    throw new Error(
      `no change event on ${TEMPLATE_TOPIC} within ${timeoutMs} ms: are the connectors applied?`,
    );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(found.headers))
    if (value) headers[name] = value.toString('utf8');
  return {
    key: JSON.parse(found.key!.toString('utf8')) as DebeziumTemplate['key'],
    value: JSON.parse(found.value!.toString('utf8')) as DebeziumTemplate['value'],
    headers,
  };
}

const LOCATIONS = ['S001', 'S002', 'S003', 'S004', 'S005', 'S006'];
const ITEMS = 20_000;
const FIRST_LSN = 10_000_000_000;

/** A small, seeded generator: the same run produces the same events. */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return x / 2 ** 32;
  };
}

/** Change event `i`: a new till line, skewed towards popular items as sales are. */
export function saleLine(template: DebeziumTemplate, i: number, rand: () => number) {
  const lsn = FIRST_LSN + i * 64;
  const micros = Date.parse('2026-11-20T08:00:00Z') * 1000 + i * 250;
  const soldAt = `${new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
  const item = Math.floor(ITEMS ** rand());
  const quantity = (1 + Math.floor(rand() * 5000)) / 1000;
  const key = { ...template.key, sale_line_id: i + 1 };
  const value = {
    ...template.value,
    op: 'c',
    before: null,
    after: {
      ...template.value.after,
      sale_line_id: i + 1,
      sale_id: 5_000_000 + Math.floor(i / 3),
      line_no: (i % 3) + 1,
      location_id: LOCATIONS[i % LOCATIONS.length],
      sku: String(100_000 + item),
      quantity: rand() < 0.02 ? `-${quantity.toFixed(3)}` : quantity.toFixed(3),
      sold_at: soldAt,
    },
    source: {
      ...template.value.source,
      snapshot: 'false',
      lsn,
      sequence: JSON.stringify([String(lsn - 64), String(lsn)]),
      txId: 1_000_000 + Math.floor(i / 3),
      ts_ms: Math.floor(micros / 1000),
      ts_us: micros,
      ts_ns: micros * 1000,
    },
    ts_ms: Math.floor(micros / 1000) + 5,
  };
  return { key: JSON.stringify(key), value: JSON.stringify(value) };
}

/** Writes `count` change events onto `topic` (which must exist), in requests of 2,000 (a batch per partition stays under the broker's 1 MB message limit). */
export async function preload(
  kafka: Kafka,
  topic: string,
  template: DebeziumTemplate,
  count: number,
  onProgress?: (written: number) => void,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const rand = random(20261125);
  const headers = template.headers;
  try {
    const requestSize = 2_000;
    const inFlight: Promise<unknown>[] = [];
    for (let start = 0; start < count; start += requestSize) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + requestSize); i++)
        messages.push({ ...saleLine(template, i, rand), headers });
      inFlight.push(producer.send({ topic, messages, acks: -1 }));
      if (inFlight.length >= 8) await inFlight.shift();
      onProgress?.(Math.min(count, start + requestSize));
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
}
