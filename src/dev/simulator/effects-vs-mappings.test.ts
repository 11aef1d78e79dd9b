// The expected stock is computed without the mapping engine (effects.ts). This test runs the
// writes of a generated run, shaped as the connectors deliver them (Debezium envelopes with
// decimals as strings; WHMOVE records as EBCDIC bytes), through the shipped mappings and checks
// that both give the same stock events: a second opinion that agrees with the first.
import { expect } from 'chai';
import { LEVEL } from '../../canonical/event.js';
import { readMappings } from '../../mapper/mapping-files.js';
import type { RawInput } from '../../mapping/compile.js';
import { stockEffects, type StockEffect } from './effects.js';
import { Exact } from './exact.js';
import { whmoveEncoder, WHMOVE_TOPIC } from './mainframe/whmove.js';
import { isoMicros, type Micros } from './source-time.js';
import { generateRun } from '../../../test/support/simulated-run.js';
import type { SourceWrite } from './writes.js';

type Row = Record<string, unknown>;

/** A row's columns as Debezium emits them: timestamptz as ISO text, DATETIME(6) as epoch micros. */
function columns(write: SourceWrite, row: object): Row {
  const maria = write.system === 'store-maria';
  return Object.fromEntries(
    Object.entries(row).map(([name, value]) => {
      const isTime = /_at$/.test(name);
      if (!isTime || value === null) return [name, value];
      return [name, maria ? value : isoMicros(value as Micros)];
    }),
  );
}

let position = 1000;

function envelope(
  write: SourceWrite,
  table: string,
  op: 'c' | 'u',
  after: Row,
  before: Row | null,
): RawInput {
  position += 10;
  const source =
    write.system === 'store-maria'
      ? {
          connector: 'mariadb',
          name: 'store-maria',
          db: 'store',
          table,
          file: 'mysql-bin.000003',
          pos: position,
          row: 0,
        }
      : {
          connector: 'postgresql',
          name: write.system === 'sap' ? 'sap' : 'store-pg',
          db: write.system === 'sap' ? 'sap' : 'store',
          schema: write.system === 'sap' ? 'sapabap1' : 'public',
          table,
          lsn: position,
          sequence: JSON.stringify([String(position - 5), String(position)]),
        };
  const topic =
    write.system === 'store-maria'
      ? `store-maria.store.${table}`
      : write.system === 'sap'
        ? `sap.sapabap1.${table}`
        : `store-pg.public.${table}`;
  return {
    topic,
    partition: 0,
    offset: String(position),
    key: Buffer.from(JSON.stringify({ id: position })),
    value: Buffer.from(JSON.stringify({ op, before, after, source: { ...source, ts_ms: 1 }, ts_ms: 1 })),
    headers: {},
  };
}

function rawInput(write: SourceWrite, encode: ReturnType<typeof whmoveEncoder>): RawInput {
  switch (write.kind) {
    case 'sale_line':
      return envelope(write, 'sale_lines', 'c', columns(write, write.row), null);
    case 'goods_receipt':
      return envelope(write, 'goods_receipts', 'c', columns(write, write.row), null);
    case 'transfer_shipped':
      return envelope(write, 'transfers', 'c', columns(write, write.row), null);
    case 'transfer_received': {
      const before = { ...write.row, status: 'shipped', received_at: null };
      return envelope(write, 'transfers', 'u', columns(write, write.row), columns(write, before));
    }
    case 'stock_count': {
      const after = columns(write, write.row);
      if (write.previousQuantity === null) return envelope(write, 'stock_on_hand', 'c', after, null);
      return envelope(write, 'stock_on_hand', 'u', after, { ...after, quantity: write.previousQuantity });
    }
    case 'matdoc':
      return envelope(write, 'MATDOC', 'c', { ...write.row }, null);
    case 'whmove':
      position += 1;
      return {
        topic: WHMOVE_TOPIC,
        partition: 0,
        offset: String(position),
        key: Buffer.from(write.record['WM-WAREHOUSE-ID']),
        value: encode(write.record),
        // As the MQ replicator writes them (src/replicator/records.ts): the mapping's identity.
        headers: {
          'mq.qmgr': Buffer.from('QMWH01'),
          'mq.queue': Buffer.from('WH.STOCK.MOVES'),
          'mq.msgId': Buffer.from(write.msgId.toLowerCase()),
        },
      };
  }
}

/** ISO 8601 with any offset -> microseconds since the epoch. */
function micros(iso: string): Micros {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  if (!m) throw new Error(`not an instant: ${iso}`);
  return Date.parse(`${m[1]}${m[3]}`) * 1000 + Number((m[2] ?? '').padEnd(6, '0'));
}

const comparable = (e: StockEffect) => ({ ...e, quantity: new Exact(e.quantity).toFixed() });

describe('simulator: expected stock effects agree with the shipped mappings', function () {
  this.timeout(60_000);
  const { mappings } = readMappings('mappings');
  const encode = whmoveEncoder('mappings');
  const byTopic = (topic: string) => {
    const found = mappings.filter((m) => m.enabled && m.matchesTopic(topic));
    expect(found, topic).to.have.length(1);
    return found[0]!;
  };

  for (const [name, options] of [
    ['two warehouses, winter time', { seed: 21, events: 3000, world: { items: 25 } }],
    [
      'one warehouse, summer time',
      {
        seed: 22,
        events: 1500,
        rate: 200,
        world: { warehouses: 1, items: 10 },
        start: Date.UTC(2026, 6, 1, 10) * 1000,
      },
    ],
    // 25 s of activity: receipts into quality inspection or blocked stock are released (321, 343).
    ['slow, long enough for releases', { seed: 23, events: 2500, rate: 100, world: { items: 10 } }],
  ] as const) {
    it(`every write of a generated run (${name}), through its mapping, gives the same stock events`, async () => {
      const { writes } = generateRun(options);
      const kinds = new Set<string>();
      const sapLines = new Set<string>();
      for (const write of writes) {
        const input = rawInput(write, encode);
        const outcome = await byTopic(input.topic).map(input);
        const mapped: StockEffect[] =
          outcome.kind === 'skipped'
            ? []
            : outcome.events.map((e) => ({
                type: e.type === LEVEL ? 'level' : 'movement',
                sku: e.data.sku,
                location: e.data.location,
                quantity: e.data.quantity,
                unit: e.data.unit,
                occurredAt: micros(e.data.occurredAt),
              }));
        expect(mapped.map(comparable), `${write.kind} ${JSON.stringify(write)}`).to.deep.equal(
          stockEffects(write).map(comparable),
        );
        kinds.add(write.kind);
        if (write.kind === 'matdoc')
          sapLines.add(
            `${write.row.BWART}/${write.row.LBBSA_SID}${write.row.SOBKZ ? `/${write.row.SOBKZ}` : ''}`,
          );
      }
      // Lines that count and lines that do not: receipts into quality inspection and their release.
      expect([...sapLines]).to.include.members(['101/01', '101/02']);
      if (options.events / (options.rate ?? 1000) > 20)
        expect([...sapLines]).to.include.members(['321/02', '321/01', '343/07', '343/01']);
      expect([...kinds].sort()).to.deep.equal(
        [
          'goods_receipt',
          'matdoc',
          'sale_line',
          'stock_count',
          'transfer_received',
          'transfer_shipped',
          'whmove',
        ].sort(),
      );
    });
  }
});
