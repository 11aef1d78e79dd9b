import { expect } from 'chai';
import { createProducer, createTransactionalProducer, KAFKA_CLIENTS } from '../../../src/kafka/clients.js';
import { ProducerFencedError } from '../../../src/errors.js';
import { javaPartition } from '../../../src/kafka/murmur2.js';
import type { KafkaRecord, TransactionalProducer } from '../../../src/kafka/port.js';
import { uniqueSuffix } from '../../support/config.js';
import { createTestTopics, readCommitted } from '../../support/kafka.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../../support/stack.js';

/**
 * Conformance of the producer and the transactional producer (src/kafka/port.ts): the same cases
 * against every adapter, on the real broker of the local stack. What the adapters wrote is read
 * back with the kafkajs reader (read_committed) as the witness.
 */
const text = (b: Buffer | null | undefined) => (b === null || b === undefined ? null : b.toString('utf8'));

/** Every byte value, twice: a value no text encoding would carry intact. */
const ALL_BYTES = Buffer.from([
  ...Array.from({ length: 256 }, (_, i) => i),
  ...Array.from({ length: 256 }, (_, i) => 255 - i),
]);

for (const client of KAFKA_CLIENTS) {
  describe(`Kafka port conformance, producers: ${client} (integration)`, function () {
    this.timeout(STACK_TIMEOUT_MS);
    let brokers: string[];
    const cleanups: (() => Promise<void>)[] = [];
    const kafka = () => ({ brokers, client: client });

    before(async () => {
      brokers = [...(await ensureStack()).config.kafka.brokers];
    });
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    });

    /** Topics of this test alone, by name. */
    async function topics<N extends string>(partitions: number, ...names: N[]): Promise<Record<N, string>> {
      const s = uniqueSuffix();
      const named = Object.fromEntries(names.map((n) => [n, `test.kport.${n}.${client}.${s}`])) as Record<
        N,
        string
      >;
      cleanups.push(
        await createTestTopics(
          brokers,
          names.map((n) => ({ topic: named[n], partitions })),
        ),
      );
      return named;
    }

    describe('producer', () => {
      it("keeps the order of each key across sends, on the Java client's partition for the key", async () => {
        const { out } = await topics(3, 'out');
        const producer = await createProducer(kafka(), `stockline-test-${client}`);
        cleanups.push(() => producer.close());
        const keys = ['W01', 'W02', 'W03', '4006381333931@S001', 'SKU-é@L1'];
        const sent = Array.from({ length: 400 }, (_, i) => ({ key: keys[i % keys.length]!, value: `${i}` }));
        for (let i = 0; i < sent.length; i += 100)
          await producer.send(
            sent.slice(i, i + 100).map((r) => ({ topic: out, key: r.key, value: r.value, headers: {} })),
          );
        await producer.flush();
        const got = await readCommitted(brokers, out, { atLeast: sent.length, settleMs: 500 });
        expect(got).to.have.length(sent.length);
        for (const key of keys) {
          const ofKey = got.filter((r) => text(r.key) === key);
          expect(
            ofKey.map((r) => text(r.value)),
            `order of ${key}`,
          ).to.deep.equal(sent.filter((r) => r.key === key).map((r) => r.value));
          expect(new Set(ofKey.map((r) => r.partition)), `partition of ${key}`).to.deep.equal(
            new Set([javaPartition(key, 3)]),
          );
        }
      });

      it('carries headers, a null key, a null value and any bytes intact', async () => {
        const { bytes: out } = await topics(1, 'bytes');
        const producer = await createProducer(kafka(), `stockline-test-${client}`);
        cleanups.push(() => producer.close());
        await producer.send([
          {
            topic: out,
            key: Buffer.from([0, 1, 254, 255]),
            value: ALL_BYTES,
            // Header values are text: node-rdkafka 3.6 passes them through a C string (port.ts).
            headers: { 'content-type': 'application/octet-stream', raw: Buffer.from('é✓\n', 'utf8') },
          },
          { topic: out, key: null, value: 'no key', headers: {} },
          { topic: out, key: 'tombstone', value: null, headers: { 'mq.msgId': 'ID:414d51' } },
          { topic: out, key: '', value: '', headers: {} },
        ]);
        const got: KafkaRecord[] = await readCommitted(brokers, out, { atLeast: 4, settleMs: 500 });
        expect(got).to.have.length(4);
        const [binary, noKey, tombstone, empty] = got as [KafkaRecord, KafkaRecord, KafkaRecord, KafkaRecord];
        expect(binary.key).to.deep.equal(Buffer.from([0, 1, 254, 255]));
        expect(binary.value).to.deep.equal(ALL_BYTES);
        expect(text(binary.headers['content-type'])).to.equal('application/octet-stream');
        expect(binary.headers.raw).to.deep.equal(Buffer.from('é✓\n', 'utf8'));
        expect(noKey.key).to.equal(null);
        expect(text(noKey.value)).to.equal('no key');
        expect(text(tombstone.key)).to.equal('tombstone');
        expect(tombstone.value).to.equal(null);
        expect(text(tombstone.headers['mq.msgId'])).to.equal('ID:414d51');
        // Empty key and value: node-rdkafka 3.6 writes them as none (port.ts, outside the contract).
        expect(text(empty.key) ?? '').to.equal('');
        expect(text(empty.value) ?? '').to.equal('');
        expect(Object.keys(empty.headers)).to.deep.equal([]);
      });

      it('sends records spread over several topics in one call', async () => {
        const { a, b } = await topics(2, 'a', 'b');
        const producer = await createProducer(kafka(), `stockline-test-${client}`);
        cleanups.push(() => producer.close());
        await producer.send(
          Array.from({ length: 50 }, (_, i) => ({
            topic: i % 2 === 0 ? a : b,
            key: `k${i % 5}`,
            value: `${i}`,
            headers: {},
          })),
        );
        expect(await readCommitted(brokers, a, { atLeast: 25, settleMs: 300 })).to.have.length(25);
        expect(await readCommitted(brokers, b, { atLeast: 25, settleMs: 300 })).to.have.length(25);
      });
    });

    describe('transactional producer', () => {
      /** Records and state topics, and a transactional id, of this test alone. */
      async function setUp() {
        const names = await topics(3, 'records', 'state');
        return {
          records: names.records,
          state: names.state,
          transactionalId: `test-source-${client}-${uniqueSuffix()}`,
        };
      }

      async function start(
        t: { state: string; transactionalId: string },
        source = 'mq.WHMOVE',
      ): Promise<TransactionalProducer> {
        const producer = await createTransactionalProducer(kafka(), `stockline-test-${client}`, {
          transactionalId: t.transactionalId,
          stateTopic: t.state,
          source,
        });
        cleanups.push(() => producer.close());
        return producer;
      }

      const recordsOf = (topic: string, values: string[]) =>
        values.map((v) => ({ topic, key: `k${v}`, value: v, headers: { source: 'test' } }));

      it('commits records and the position together; a new instance starts from the last committed position', async () => {
        const t = await setUp();
        const first = await start(t);
        expect(first.startPosition, 'a source without a position').to.equal(null);
        for (const [values, position] of [
          [['a', 'b', 'c'], 'lsn:1'],
          [['d', 'e'], 'lsn:2'],
        ] as const) {
          const txn = await first.begin();
          await txn.send(recordsOf(t.records, [...values]));
          await txn.commit(position);
        }
        // Another source's position on the same state topic is not this one's.
        const other = await start({ ...t, transactionalId: `${t.transactionalId}-other` }, 'sap.MSEG');
        const otherTxn = await other.begin();
        await otherTxn.commit(Buffer.from([0, 255]));
        await first.close();

        const got = await readCommitted(brokers, t.records, { atLeast: 5, settleMs: 300 });
        expect(got.map((r) => text(r.value)).sort()).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
        const again = await start(t);
        expect(text(again.startPosition)).to.equal('lsn:2');
        const otherAgain = await start({ ...t, transactionalId: `${t.transactionalId}-other` }, 'sap.MSEG');
        expect(otherAgain.startPosition).to.deep.equal(Buffer.from([0, 255]));
      });

      it('an aborted transaction leaves none of its records visible to read_committed readers', async () => {
        const t = await setUp();
        const producer = await start(t);
        const aborted = await producer.begin();
        await aborted.send(recordsOf(t.records, ['x1', 'x2']));
        await aborted.abort();
        const committed = await producer.begin();
        await committed.send(recordsOf(t.records, ['y1']));
        await committed.commit('lsn:7');
        const got = await readCommitted(brokers, t.records, { atLeast: 3, timeoutMs: 4000 });
        expect(got.map((r) => text(r.value))).to.deep.equal(['y1']);
        await producer.close();
        expect(text((await start(t)).startPosition)).to.equal('lsn:7');
      });

      it('a second instance fences the first: its open transaction is aborted, records and position, and it gets ProducerFencedError', async () => {
        const t = await setUp();
        const first = await start(t);
        const before = await first.begin();
        await before.send(recordsOf(t.records, ['kept']));
        await before.commit('lsn:1');
        const open = await first.begin();
        await open.send(recordsOf(t.records, ['lost1', 'lost2']));

        const second = await start(t);
        expect(text(second.startPosition), 'the second starts from the last committed position').to.equal(
          'lsn:1',
        );
        let error: unknown;
        await open.commit('lsn:2').catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(ProducerFencedError);
        expect((error as ProducerFencedError).code).to.equal('STOCKLINE_PRODUCER_FENCED');
        expect((error as ProducerFencedError).context).to.include({ transactionalId: t.transactionalId });
        // And it stays fenced.
        let again: unknown;
        await first.begin().catch((e: unknown) => (again = e));
        expect(again).to.be.instanceOf(ProducerFencedError);

        const txn = await second.begin();
        await txn.send(recordsOf(t.records, ['new']));
        await txn.commit('lsn:3');
        const got = await readCommitted(brokers, t.records, { atLeast: 4, timeoutMs: 5000 });
        expect(got.map((r) => text(r.value)).sort()).to.deep.equal(['kept', 'new']);
        await second.close();
        expect(text((await start(t)).startPosition)).to.equal('lsn:3');
      });
    });
  });
}
