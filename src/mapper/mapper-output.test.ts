// Pins what the mapper writes, byte for byte: the canonical and dead-letter records (topic, key,
// value, headers in their order) of a sample of records through the shipped mappings: every
// test input of the shipped mapping files, and generated Debezium sale lines of both store
// databases with the quantities, ops and snapshot marks a source sends (and some it should not).
// The digest was taken with the mapper before the per-event work was cut (src/mapper/README.md;
// first at 1a741e8, again at 4f407ba, whose mappings and tests add stock types and posting dates,
// and at 755d3bc, whose sap-mard mapping is enabled and tested for the capture's initial load):
// a change to the mapper that changes one byte of its output, an event id included, fails here.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { KafkaRecord, OutgoingRecord } from '../kafka/port.js';
import { toKafkaMessage } from '../canonical/cloudevents-kafka.js';
import { loadMappings } from '../mapping/load.js';
import { testInput } from '../mapping/test-runner.js';
import { createLogger } from '../observability/logger.js';
import { createBatchMapper, emptyStats } from './mapper.js';
import { readMappings } from './mapping-files.js';

const QUANTITIES = [
  '2.500',
  '-1.000',
  '0.000',
  '-0.000',
  '12',
  '0.5',
  '1234567.123456',
  '-0.001',
  '4.612',
  '1.000',
  '-2.750',
  '10',
  '0.010',
];
/** What a source should not send: some are still read (decimal.js reads them), some are refused. */
const ODD_QUANTITIES = [
  '+1.5',
  '007.50',
  '.5',
  '5.',
  '-0',
  '1e3',
  '0x10',
  ' 1.0',
  '',
  '99999999999999999999.5',
];
const numeric = [3, -2, 0, 0.25, 2 ** 53];

function saleLine(i: number, db: 'pg' | 'maria'): KafkaRecord {
  const op = i % 61 === 8 ? 'x' : ['c', 'c', 'c', 'r', 'u', 'd', 'c', 'c'][i % 8]!;
  const quantity: unknown =
    i % 23 === 7
      ? numeric[i % numeric.length]
      : i % 7 === 2
        ? ODD_QUANTITIES[(i * 3) % ODD_QUANTITIES.length]
        : QUANTITIES[(i * 7) % QUANTITIES.length];
  const soldAt = 1795161600000000 + i * 250;
  const after = {
    sale_line_id: i + 1,
    sale_id: 5_000_000 + Math.floor(i / 3),
    line_no: (i % 3) + 1,
    location_id: i % 41 === 5 ? 'S@1' : `S00${(i % 6) + 1}`,
    sku: i % 37 === 3 ? '' : String(100_000 + ((i * 7919) % 20_000)),
    quantity,
    unit: i % 29 === 4 ? 'KG' : 'EA',
    unit_price: '1.19',
    sold_at:
      db === 'pg'
        ? `${new Date(Math.floor(soldAt / 1000)).toISOString().slice(0, 19)}.${String(soldAt % 1_000_000).padStart(6, '0')}Z`
        : soldAt,
  };
  const snapshot = ['false', 'true', 'last', 'incremental', 'false'][i % 5];
  const source =
    db === 'pg'
      ? {
          connector: 'postgresql',
          name: 'store-pg',
          db: 'store',
          schema: 'public',
          table: 'sale_lines',
          snapshot,
          lsn: 10_000_000_000 + i * 64,
          sequence:
            i % 11 === 0
              ? JSON.stringify([null, String(10_000_000_000 + i * 64)])
              : JSON.stringify([String(10_000_000_000 + i * 64 - 64), String(10_000_000_000 + i * 64)]),
          txId: 1_000_000 + i,
          ts_ms: 1795161600000 + i,
        }
      : {
          connector: 'mariadb',
          name: 'store-maria',
          db: 'store',
          table: 'sale_lines',
          snapshot,
          file: `binlog.00000${(i % 3) + 1}`,
          pos: 4000 + i * 100,
          row: i % 2,
          ts_ms: 1795161600000 + i,
        };
  const value =
    i % 97 === 13
      ? null
      : {
          before: op === 'u' || op === 'd' ? after : null,
          after: op === 'd' ? null : after,
          source,
          op,
          ts_ms: 1,
        };
  return {
    topic: db === 'pg' ? 'store-pg.public.sale_lines' : 'store-maria.store.sale_lines',
    partition: i % 3,
    offset: String(i),
    timestamp: '0',
    key: Buffer.from(
      JSON.stringify(i % 53 === 9 ? { sale_line_id: i + 1, z: [1, 'a'], a: null } : { sale_line_id: i + 1 }),
    ),
    value:
      i % 89 === 17
        ? Buffer.from('{"op": "c", "after": ')
        : value === null
          ? null
          : Buffer.from(JSON.stringify(value)),
    headers: { '__debezium.context.connectorName': Buffer.from(db === 'pg' ? 'store-pg' : 'store-maria') },
  };
}

/** The bytes Kafka gets: strings and Buffers alike as their UTF-8 bytes, headers in their order. */
const bytes = (v: string | Buffer | null | undefined) =>
  v === null || v === undefined ? '-' : (typeof v === 'string' ? Buffer.from(v) : v).toString('hex');
const line = (r: OutgoingRecord) =>
  JSON.stringify([
    r.topic,
    bytes(r.key),
    bytes(r.value),
    Object.entries(r.headers)
      // When the dead letter was written: the one byte that differs from run to run.
      .filter(([k]) => k !== 'stockline.dlq.time')
      .map(([k, v]) => [k, bytes(v)]),
  ]);

describe('mapper: output pinned byte for byte', () => {
  it('maps a sample of records into exactly the records it always has', async () => {
    const loaded = readMappings('mappings');
    const inputs: KafkaRecord[] = loaded.tests.map((test, i) => ({
      ...testInput(test, loaded.sources.readRelative),
      offset: String(i),
      timestamp: '0',
    }));
    for (let i = 0; i < 1500; i++) inputs.push(saleLine(i, i % 4 === 3 ? 'maria' : 'pg'));
    inputs.push({ ...saleLine(1, 'pg'), topic: 'nobody.reads.this' });

    const stats = emptyStats();
    const mapBatch = createBatchMapper(
      loaded.mappings.filter((m) => m.enabled),
      { canonical: 'stockline.canonical', deadLetter: 'stockline.deadletter' },
      stats,
      createLogger({ level: 'silent' }),
    );
    const out: OutgoingRecord[] = [];
    for (let start = 0; start < inputs.length; start += 50) {
      const records = inputs.slice(start, start + 50);
      out.push(...(await mapBatch({ topic: records[0]!.topic, partition: 0, records })));
    }
    const lines = out.map(line);
    const { deadLettersByReason: _reasons, ...counts } = stats;
    expect(counts).to.deep.equal({ consumed: 1544, produced: 967, skipped: 383, deadLettered: 196 });
    expect(lines).to.have.length(1163);
    expect(out.at(-1)!.headers['stockline.dlq.topic']).to.equal('nobody.reads.this');
    // The first generated sale line, whole: a sale of 2.500 EA.
    const sale = out.find((r) => String(r.key) === '100000@S001')!;
    expect(String(sale.value)).to.equal(
      '{"sku":"100000","location":"S001","quantity":"-2.500","unit":"EA","reason":"sale","occurredAt":"2026-11-20T08:00:00.000000Z","source":{"system":"store-pg","entity":"store.public.sale_lines","position":"row:{\\"sale_line_id\\":1}","sequence":"00000000010000000000:00000000010000000000"},"mapping":"store-pg-sale-lines"}',
    );
    expect(Object.entries(sale.headers).map(([k, v]) => [k, String(v)])).to.deep.equal([
      ['ce_specversion', '1.0'],
      ['ce_id', '086be069-2714-5212-8083-bc172360d9ca'],
      ['ce_source', '/stockline/store-pg/store.public.sale_lines'],
      ['ce_type', 'inventory.movement'],
      ['ce_time', '2026-11-20T08:00:00.000000Z'],
      ['ce_subject', '100000@S001'],
      ['ce_dataschema', 'https://stockline.dev/schemas/inventory-event-data.v1.json'],
      ['content-type', 'application/json'],
    ]);
    expect(createHash('sha256').update(lines.join('\n')).digest('hex')).to.equal(
      'de356b97e54f64fca6d795a645dfd36a0bd6a42a5289ee43e5c22b8c5fa58471',
    );
  });

  it('keeps the order of a batch whose mapping needs the JSONata interpreter for some records', async () => {
    // $uppercase is not one of the native expressions: those records are mapped asynchronously.
    const text = `name: mixed
source: { topic: t, format: debezium-json }
emit:
  - type: movement
    sku: "\${after.upper ? $uppercase(after.sku) : after.sku}"
    location: \${after.location}
    quantity: \${$dneg(after.q)}
    unit: EA
    reason: sale
    occurredAt: \${after.at}
`;
    const { mappings } = loadMappings({
      mappingFiles: [{ path: 'mixed.yaml', text }],
      testFiles: [],
      lookupFiles: [],
      readRelative: () => undefined,
    });
    const records: KafkaRecord[] = Array.from({ length: 40 }, (_, i) => ({
      topic: 't',
      partition: 0,
      offset: String(i),
      timestamp: '0',
      key: Buffer.from(JSON.stringify({ id: i })),
      value: Buffer.from(
        JSON.stringify({
          op: 'c',
          after: {
            sku: `a${i}`,
            upper: i % 3 === 1,
            location: i % 7 === 3 ? 'bad@location' : 'S001',
            q: i % 5 === 4 ? 0.5 : `${i}.5`,
            at: '2026-11-20T08:00:00Z',
          },
          source: { connector: 'postgresql', name: 'p', db: 'd', table: 't', lsn: 100 + i },
        }),
      ),
      headers: {},
    }));
    const mapBatch = createBatchMapper(
      mappings,
      { canonical: 'c', deadLetter: 'd' },
      emptyStats(),
      createLogger({ level: 'silent' }),
    );
    const out = await mapBatch({ topic: 't', partition: 0, records });
    // One by one through the asynchronous map(): the same records, in the same order.
    const expected: string[] = [];
    for (const record of records) {
      try {
        const outcome = await mappings[0]!.map(record);
        if (outcome.kind === 'events')
          for (const e of outcome.events) expected.push(`c ${toKafkaMessage(e).headers.ce_id} ${e.data.sku}`);
      } catch {
        expected.push(`d ${record.offset}`);
      }
    }
    const actual = out.map((r) =>
      r.topic === 'c'
        ? `c ${String(r.headers.ce_id)} ${(JSON.parse(String(r.value)) as { sku: string }).sku}`
        : `d ${String(r.headers['stockline.dlq.offset'])}`,
    );
    expect(actual).to.deep.equal(expected);
    expect(actual.filter((a) => a.startsWith('d '))).to.have.length(13);
    // Some went through the interpreter (upper case), between records that did not.
    expect(actual.filter((a) => / A\d+$/.test(a))).to.have.length(8);
  });
});
