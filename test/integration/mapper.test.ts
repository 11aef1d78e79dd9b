import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { fromKafkaMessage } from '../../src/canonical/cloudevents-kafka.js';
import type { CanonicalEvent } from '../../src/canonical/event.js';
import { KAFKA_CLIENTS } from '../../src/kafka/clients.js';
import { createKafkaReader } from '../support/kafka.js';
import type { KafkaRecord } from '../../src/kafka/port.js';
import { listDeadLetters, replayDeadLetters } from '../../src/mapper/dead-letter-replay.js';
import { startMapper, type MapperHandle } from '../../src/mapper/service.js';
import { compileMapperOptions } from '../../src/mapper/options.js';
import { createLogger } from '../../src/observability/logger.js';
import { ean13 } from '../../src/dev/samples/sample-data.js';
import { isolatedMapperConfig, uniqueSuffix } from '../support/config.js';
import { createTestTopics, produceRecords } from '../support/kafka.js';
import { connectStoreMariadb, connectStorePostgres } from '../support/databases.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

const log = createLogger({ level: 'warn' });

/** Reads a topic from the beginning until `count` records match. */
async function collect(
  brokers: string[],
  topic: string,
  matches: (r: KafkaRecord) => boolean,
  count: number,
  timeoutMs = 60000,
): Promise<KafkaRecord[]> {
  const found: KafkaRecord[] = [];
  await createKafkaReader({ brokers, clientId: 'stockline-test' }).read({
    topics: [topic],
    fromBeginning: true,
    waitForTopicsMs: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
    onRecord: (r) => {
      if (matches(r)) found.push(r);
      return found.length < count;
    },
  });
  if (found.length < count) throw new Error(`saw ${found.length} of ${count} records on ${topic}`);
  return found;
}

const canonical = (r: KafkaRecord): CanonicalEvent => fromKafkaMessage(r);
const header = (r: KafkaRecord, name: string) => r.headers[name]?.toString('utf8');

describe('mapper: raw change events to canonical events, bad ones to the dead-letter topic (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  let mapper: MapperHandle;
  let config: ReturnType<typeof isolatedMapperConfig>;

  before(async () => {
    env = await ensureStack();
    config = isolatedMapperConfig(env.config);
    mapper = await startMapper(compileMapperOptions(config), log);
  });
  after(() => mapper?.stop());

  it('maps a sale in the store PostgreSQL to a signed movement with CloudEvents headers, keyed sku@location', async () => {
    const sku = `T${randomInt(10_000_000, 99_999_999)}`;
    const client = await connectStorePostgres(env);
    try {
      await client.query(
        "INSERT INTO items (sku, barcode, description, unit) VALUES ($1, $2, 'Test', 'EA')",
        [sku, ean13(`29${sku.slice(1)}00`)],
      );
      await client.query(
        "INSERT INTO sale_lines (sale_id, line_no, location_id, sku, quantity, unit, unit_price, sold_at) VALUES ($2, 1, 'S001', $1, 3, 'EA', 1.00, '2026-11-25T10:00:00Z'), ($2 + 1, 1, 'S001', $1, -1, 'EA', 1.00, '2026-11-25T10:05:00Z')",
        [sku, randomInt(100_000_000, 999_999_999)],
      );
    } finally {
      await client.end();
    }
    const records = await collect(
      config.kafka.brokers,
      config.mapper.canonicalTopic,
      (r) => r.key?.toString() === `${sku}@S001`,
      2,
    );
    // The two lines are two source rows on different raw partitions: their relative order is not guaranteed.
    const [sale, ret] = records.map(canonical).sort((a, b) => a.time.localeCompare(b.time));
    expect(sale).to.deep.include({
      type: 'inventory.movement',
      subject: `${sku}@S001`,
      time: '2026-11-25T10:00:00.000000Z',
    });
    expect(sale!.data).to.deep.include({
      sku,
      location: 'S001',
      quantity: '-3.000',
      unit: 'EA',
      reason: 'sale',
      mapping: 'store-pg-sale-lines',
    });
    expect(sale!.data.source).to.include({ system: 'store-pg', entity: 'store.public.sale_lines' });
    expect(ret!.data).to.include({ quantity: '1.000', reason: 'return' });
    expect(header(records[0]!, 'ce_specversion')).to.equal('1.0');
    expect(header(records[0]!, 'content-type')).to.equal('application/json');
    expect(sale!.source).to.equal('/stockline/store-pg/store.public.sale_lines');
    expect(records[0]!.partition).to.equal(records[1]!.partition);
    expect(sale!.id).to.not.equal(ret!.id);
  });

  it('maps a count in the store MariaDB to a level', async () => {
    const sku = `T${randomInt(10_000_000, 99_999_999)}`;
    const connection = await connectStoreMariadb(env);
    try {
      await connection.execute(
        "INSERT INTO items (sku, barcode, description, unit) VALUES (?, ?, 'Test', 'KG')",
        [sku, ean13(`28${sku.slice(1)}00`)],
      );
      await connection.execute(
        "INSERT INTO stock_on_hand (location_id, sku, quantity, unit, updated_at) VALUES ('S102', ?, 12.345, 'KG', '2026-11-25 10:00:00.000000')",
        [sku],
      );
    } finally {
      await connection.end();
    }
    const [record] = await collect(
      config.kafka.brokers,
      config.mapper.canonicalTopic,
      (r) => r.key?.toString() === `${sku}@S102`,
      1,
    );
    const event = canonical(record!);
    expect(event.type).to.equal('inventory.level');
    expect(event.data).to.include({
      quantity: '12.345',
      unit: 'KG',
      reason: 'count',
      occurredAt: '2026-11-25T10:00:00.000000Z',
      mapping: 'store-maria-stock-on-hand',
    });
    // The row's key and its updated_at (source.identity): a snapshot read of this row is the same change.
    expect(event.data.source.position).to.equal(`row:{"location_id":"S102","sku":"${sku}"}@1795600800000000`);
  });

  it('sends a goods movement of an unknown SAP plant to the dead-letter topic with the original bytes and the reason', async () => {
    const mblnr = String(randomInt(6_000_000_000, 6_999_999_999));
    const client = await connectStorePostgres(env, 'sap');
    try {
      await client.query(
        `INSERT INTO sapabap1."MATDOC" ("MANDT","MBLNR","MJAHR","ZEILE","MATNR","WERKS","LGORT","BWART","SHKZG","MENGE","MEINS","ERFMG","ERFME","STOCK_QTY","BUDAT_MKPF","CPUDT_MKPF","CPUTM_MKPF","USNAM_MKPF")
         VALUES ('100', $1, '2026', '0001', '000000000000100200', '9999', '0001', '101', 'S', 5, 'ST', 5, 'ST', 5, '20261125', '20261125', '101500', 'TEST')`,
        [mblnr],
      );
    } finally {
      await client.end();
    }
    const [letter] = await collect(
      config.kafka.brokers,
      config.mapper.deadLetterTopic,
      (r) => r.key?.toString().includes(mblnr) ?? false,
      1,
    );
    expect(header(letter!, 'stockline.dlq.mapping')).to.equal('sap-matdoc');
    expect(header(letter!, 'stockline.dlq.error')).to.contain(
      'lookup table "sap-plant-locations" has no row with WERKS="9999"',
    );
    expect(header(letter!, 'stockline.dlq.code')).to.equal('STOCKLINE_MAPPING_FAILED');
    expect(header(letter!, 'stockline.dlq.topic')).to.equal('sap.sapabap1.MATDOC');
    const [original] = await collect(
      config.kafka.brokers,
      'sap.sapabap1.MATDOC',
      (r) => r.key?.toString().includes(mblnr) ?? false,
      1,
    );
    expect(header(letter!, 'stockline.dlq.offset')).to.equal(original!.offset);
    expect(letter!.value!.equals(original!.value!)).to.equal(true);
    expect(header(letter!, '__debezium.context.connectorLogicalName')).to.equal('sap');

    // An operator lists it, and replays it after a fix: back to its source topic byte for byte.
    const listed = await listDeadLetters(config, { mapping: 'sap-matdoc' });
    expect(listed.map((l) => l.source)).to.include(
      `sap.sapabap1.MATDOC[${original!.partition}]@${original!.offset}`,
    );
    const { replayed } = await replayDeadLetters(config, { mapping: 'sap-matdoc' });
    expect(replayed.length).to.be.at.least(1);
    const back = await collect(
      config.kafka.brokers,
      'sap.sapabap1.MATDOC',
      (r) =>
        (r.key?.toString().includes(mblnr) ?? false) && r.headers['stockline.replayed-from'] !== undefined,
      1,
    );
    expect(back[0]!.value!.equals(original!.value!)).to.equal(true);
    expect(back[0]!.headers['stockline.dlq.error']).to.equal(undefined);
    // The mapping is still not fixed, so the mapper dead-letters it again: nothing is lost.
    await collect(
      config.kafka.brokers,
      config.mapper.deadLetterTopic,
      (r) => r.key?.toString().includes(mblnr) ?? false,
      2,
    );
  });

  it('maps mainframe WHMOVE records from the raw MQ topic, identified by their MQ message, and dead-letters a record of the wrong length or without the MQ headers', async () => {
    const kafka = new Kafka({ brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const marker = `m${randomInt(1_000_000, 9_999_999)}`;
    // As the MQ replicator writes them (src/replicator/records.ts), with message ids of this test.
    const mqHeaders = (n: number) => ({
      'mq.qmgr': 'QM.TEST',
      'mq.queue': 'WH.STOCK.MOVES',
      'mq.msgId': `${marker}-${n}`,
    });
    const samples = [1, 2, 3, 4].map((n) => readFileSync(`mappings/samples/whmove-${n}.bin`));
    await producer.send({
      topic: 'mq.WH.STOCK.MOVES',
      messages: [
        ...[...samples, Buffer.from('d4e5e6c8', 'hex')].map((value, i) => ({
          key: marker,
          value,
          headers: mqHeaders(i + 1),
        })),
        // Not through the replicator: no identity to derive event ids from.
        { key: marker, value: samples[0]!, headers: { 'mq.msgId': marker } },
      ],
    });
    await producer.disconnect();
    // The raw topic is shared (the simulator and the demo write WHMOVE records too): pick the
    // samples' own events by their position, the MQ identity of this test's messages.
    const positions = new Set([1, 2, 3, 4].map((n) => `QM.TEST/WH.STOCK.MOVES/${marker}-${n}`));
    const seen = new Set<string>();
    const isNew = (r: KafkaRecord) => {
      if (
        header(r, 'ce_source') !== '/stockline/mainframe-wh/WH.STOCK.MOVES' ||
        seen.has(header(r, 'ce_id')!)
      )
        return false;
      if (!positions.has(canonical(r).data.source.position)) return false;
      seen.add(header(r, 'ce_id')!);
      return true;
    };
    const events = (await collect(config.kafka.brokers, config.mapper.canonicalTopic, isNew, 4)).map(
      canonical,
    );
    expect(events.map((e) => e.data.quantity).sort()).to.deep.equal([
      '-2.000',
      '-7.500',
      '120.000',
      '42.250',
    ]);
    expect(events.find((e) => e.type === 'inventory.level')!.subject).to.equal('123@W002');
    const letters = await collect(
      config.kafka.brokers,
      config.mapper.deadLetterTopic,
      (r) => r.key?.toString() === marker,
      2,
    );
    const reasons = letters
      .map((l) => `${header(l, 'mq.msgId')}: ${header(l, 'stockline.dlq.error')}`)
      .sort();
    expect(reasons[0]).to.match(new RegExp(`^${marker}-5: .*needs 87`));
    expect(reasons[1]).to.match(new RegExp(`^${marker}: .*no mq.qmgr, mq.queue headers`));
  });

  it('gives the same event ids when the same raw events are mapped again (replay)', async () => {
    const replay = isolatedMapperConfig(env.config);
    const second = await startMapper(compileMapperOptions(replay), log);
    try {
      // The seeded transfers: 8 lines shipped (8 out), 4 of them received (4 in), all from the snapshot.
      // A re-snapshot (replays.test.ts) reads the same lines again, with the same ids: each id once.
      const ids = async (topic: string) => {
        const seen = new Set<string>();
        const seeded = (r: KafkaRecord) =>
          header(r, 'ce_source') === '/stockline/store-pg/store.public.transfers' &&
          canonical(r).data.source.snapshot === true &&
          !seen.has(canonical(r).id) &&
          seen.add(canonical(r).id) !== undefined;
        return (await collect(config.kafka.brokers, topic, seeded, 12)).map((r) => canonical(r).id).sort();
      };
      const first = await ids(config.mapper.canonicalTopic);
      expect(new Set(first).size).to.equal(12);
      expect(await ids(replay.mapper.canonicalTopic)).to.deep.equal(first);
    } finally {
      await second.stop();
    }
  });
});

for (const client of KAFKA_CLIENTS) {
  describe(`mapper on ${client}: dead letters of any size reach the dead-letter topic (integration)`, function () {
    this.timeout(STACK_TIMEOUT_MS);
    let env: TestStack;
    let config: ReturnType<typeof isolatedMapperConfig>;
    let rawTopic: string;
    let mapper: MapperHandle | undefined;
    let dir: string;

    before(async () => {
      env = await ensureStack();
      const suffix = uniqueSuffix();
      config = isolatedMapperConfig(env.config, suffix);
      config.kafka.client = client;
      // One mapping of its own, reading a raw topic of this test alone.
      rawTopic = `test.raw.sale_lines.${suffix}`;
      dir = mkdtempSync(path.join(tmpdir(), 'stockline-mappings-'));
      const yaml = readFileSync(path.join(env.config.mapper.mappingsDir, 'store-pg-sale-lines.yaml'), 'utf8');
      writeFileSync(
        path.join(dir, 'store-pg-sale-lines.yaml'),
        yaml.replace('topic: store-pg.public.sale_lines', `topic: ${rawTopic}`),
      );
      config.mapper.mappingsDir = dir;
      await createTestTopics(config.kafka.brokers, [{ topic: rawTopic, partitions: 1 }]);
    });
    after(async () => {
      await mapper?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a busy table with a renamed column (1,080 unmappable ~700 B records in one fetch) and a raw record near 1 MB', async () => {
      // A column renamed in the store database: `quantity` is now `qty`, nothing maps.
      const envelope = (i: number) => ({
        op: 'c',
        before: null,
        after: {
          sale_line_id: i,
          sale_id: 43,
          line_no: 1,
          location_id: 'S001',
          sku: '100200',
          qty: '2.500',
          unit: 'EA',
          unit_price: '1.19',
          sold_at: '2026-11-25T09:13:25.923473Z',
          note: 'x'.repeat(300),
        },
        source: {
          connector: 'postgresql',
          name: 'store-pg',
          db: 'store',
          schema: 'public',
          table: 'sale_lines',
          lsn: 31212896 + i,
          sequence: `["31212840","${31212896 + i}"]`,
          ts_ms: 1795598005925,
        },
        ts_ms: 1795598006238,
      });
      const records = Array.from({ length: 1080 }, (_, i) => ({
        key: JSON.stringify({ sale_line_id: i }),
        value: JSON.stringify(envelope(i)),
      }));
      expect(records[0]!.value.length).to.be.within(650, 750);
      // Near the broker's limit (message.max.bytes 1,048,588 for the whole record batch).
      await produceRecords(config.kafka.brokers, rawTopic, records);
      const big = { key: JSON.stringify({ sale_line_id: 'big' }), value: 'y'.repeat(1_047_000) };
      await produceRecords(config.kafka.brokers, rawTopic, [big]);

      mapper = await startMapper(compileMapperOptions(config), log);
      const failed = mapper.done.then(
        () => 'stopped',
        (e: unknown) => `failed: ${String(e)}`,
      );
      const letters = await Promise.race([
        collect(config.kafka.brokers, config.mapper.deadLetterTopic, () => true, 1081, 90000),
        failed.then((outcome) => {
          throw new Error(`the mapper ${outcome}`);
        }),
      ]);
      expect(mapper.stats().deadLettered).to.equal(1081);
      const letter = letters.find((r) => r.key?.toString().includes('big'))!;
      expect(letter.value).to.equal(null);
      expect(header(letter, 'stockline.dlq.offset')).to.equal('1080');
      expect(header(letter, 'stockline.dlq.topic')).to.equal(rawTopic);
      expect(header(letter, 'stockline.dlq.error')).to.be.a('string').and.not.equal('');
      expect(header(letter, 'stockline.dlq.omitted'))
        .to.contain('value (1047000 bytes)')
        .and.contain(`the original is on ${rawTopic} partition 0 at offset 1080`);
      const small = letters.find((r) => header(r, 'stockline.dlq.offset') === '7')!;
      expect(small.value!.toString()).to.equal(records[7]!.value);
      expect(header(small, 'stockline.dlq.omitted')).to.equal(undefined);
    });
  });
}
