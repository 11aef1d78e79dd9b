import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { FetchedBatch } from '../../../src/kafka/batch-consumer.js';
import { kafkajsClient } from '../../../src/kafka/kafkajs-admin.js';
import { kafkajsBatchConsumer } from '../../../src/kafka/kafkajs-batch-consumer.js';
import { createPipelineFactory, createReader, KAFKA_CLIENTS } from '../../../src/kafka/clients.js';
import type { KafkaRecord, OutgoingRecord, PipelineBatch, RunningPipeline } from '../../../src/kafka/port.js';
import { uniqueSuffix } from '../../support/config.js';
import { committedOffsets, createTestTopics, produceRecords, readCommitted } from '../../support/kafka.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../../support/stack.js';
import { produceWithNullHeader } from '../../support/kafka.js';

/**
 * One conformance suite for every adapter of the Kafka port (src/kafka/port.ts): the same cases
 * run against kafkajs and node-rdkafka, on the real broker of the local stack.
 */
const text = (b: Buffer | null) => b?.toString('utf8') ?? '';

/** The output of one input record: same key, value `out:<value>`, and where it came from. */
const echo = (to: string, r: KafkaRecord): OutgoingRecord => ({
  topic: to,
  key: r.key,
  value: `out:${text(r.value)}`,
  headers: { from: `${r.partition}:${r.offset}` },
});

const countBy = (values: string[]) => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
};

/** Every input value appears exactly once among the outputs. */
function expectExactlyOnce(outputs: KafkaRecord[], inputs: string[]): void {
  const counts = countBy(outputs.map((r) => text(r.value)));
  const missing = inputs.filter((v) => !counts.has(`out:${v}`));
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  expect({ missing: missing.slice(0, 10), duplicated: duplicated.slice(0, 10) }).to.deep.equal({
    missing: [],
    duplicated: [],
  });
  expect(outputs).to.have.length(inputs.length);
}

for (const client of KAFKA_CLIENTS) {
  describe(`Kafka port conformance: ${client} (integration)`, function () {
    this.timeout(STACK_TIMEOUT_MS);
    let brokers: string[];
    let cleanups: (() => Promise<void>)[] = [];
    let running: RunningPipeline[] = [];

    before(async () => {
      brokers = [...(await ensureStack()).config.kafka.brokers];
    });
    afterEach(async () => {
      for (const p of running.splice(0)) await p.stop().catch(() => undefined);
      for (const c of cleanups.splice(0)) await c().catch(() => undefined);
      cleanups = [];
      running = [];
    });

    /** Input and output topics and a consumer group of this test alone. */
    async function setUp(partitions = 3) {
      const s = uniqueSuffix();
      const names = {
        input: `test.kport.in.${s}`,
        output: `test.kport.out.${s}`,
        other: `test.kport.other.${s}`,
        group: `test-kport-${client}-${s}`,
      };
      cleanups.push(
        await createTestTopics(brokers, [
          { topic: names.input, partitions },
          { topic: names.output, partitions },
          { topic: names.other, partitions: 1 },
        ]),
      );
      return names;
    }

    /** Topics of their own, and `count` unkeyed values v0, v1... on the input topic. */
    async function setUpWithValues(partitions: number, count: number) {
      const names = await setUp(partitions);
      const inputs = Array.from({ length: count }, (_, i) => `v${i}`);
      await produceRecords(
        brokers,
        names.input,
        inputs.map((v) => ({ key: null, value: v })),
      );
      return { names, inputs };
    }

    async function startPipeline(
      names: { input: string; group: string },
      process: (batch: PipelineBatch) => Promise<OutgoingRecord[]>,
      /** Two members in one process need transactional ids of their own. */
      member = '',
    ): Promise<RunningPipeline> {
      const pipeline = await createPipelineFactory({ brokers, client }, `stockline-test-${client}`).start({
        groupId: names.group,
        topics: [names.input],
        transactionalIdPrefix: `${names.group}${member}`,
        fromBeginning: true,
        process,
      });
      running.push(pipeline);
      return pipeline;
    }

    const stopPipeline = async (pipeline: RunningPipeline) => {
      await pipeline.stop();
      running = running.filter((p) => p !== pipeline);
    };

    it('commits the produced records and the consumed offsets in one transaction', async () => {
      const names = await setUp();
      const inputs = Array.from({ length: 60 }, (_, i) => `v${i}`);
      await produceRecords(
        brokers,
        names.input,
        inputs.map((v, i) => ({ key: `k${i % 7}`, value: v })),
      );
      const pipeline = await startPipeline(names, (b) =>
        Promise.resolve(b.records.map((r) => echo(names.output, r))),
      );
      const outputs = await readCommitted(brokers, names.output, { atLeast: inputs.length });
      expectExactlyOnce(outputs, inputs);
      await stopPipeline(pipeline);

      // The group's committed offsets are the end of every input partition.
      const committed = await committedOffsets(brokers, names.group, names.input);
      const perPartition = countBy(outputs.map((r) => r.headers.from!.toString().split(':')[0]!));
      for (const [partition, n] of perPartition) expect(committed.get(Number(partition))).to.equal(BigInt(n));
      // Outputs carry their headers and keys.
      const o = outputs[0]!;
      expect(text(o.key)).to.match(/^k\d$/);
      expect(o.headers.from?.toString()).to.match(/^\d:\d+$/);
    });

    it("produces a batch's outputs exactly once when they outnumber the client's send queue", async () => {
      // node-rdkafka queues at most 20,000 messages and waits for deliveries when full; kafkajs
      // sends requests of 2,000. 30 outputs per input: any batch of 700 inputs or more overflows.
      const { names, inputs } = await setUpWithValues(1, 3000);
      const fanOut = 30;
      await startPipeline(names, (b) =>
        Promise.resolve(
          b.records.flatMap((r) =>
            Array.from({ length: fanOut }, (_, k) => ({
              ...echo(names.output, r),
              value: `out:${text(r.value)}#${k}`,
            })),
          ),
        ),
      );
      const expected = inputs.flatMap((v) => Array.from({ length: fanOut }, (_, k) => `${v}#${k}`));
      expectExactlyOnce(await readCommitted(brokers, names.output, { atLeast: expected.length }), expected);
    });

    it('re-delivers a batch whose process throws, and read_committed readers never see its output', async () => {
      const { names, inputs } = await setUpWithValues(1, 20);
      let failing = true;
      const attempts: string[][] = [];
      await startPipeline(names, (b) => {
        attempts.push(b.records.map((r) => r.offset));
        if (failing) return Promise.reject(new Error('process failed on purpose'));
        return Promise.resolve(b.records.map((r) => echo(names.output, r)));
      });
      // While process fails, nothing reaches the output topic.
      const during = await readCommitted(brokers, names.output, { atLeast: 1, timeoutMs: 4000 });
      expect(during).to.have.length(0);
      expect(attempts.length, 'process was called and retried').to.be.greaterThan(1);
      expect(
        attempts.every((a) => a[0] === '0'),
        'every attempt starts again at offset 0',
      ).to.equal(true);
      failing = false;
      expectExactlyOnce(await readCommitted(brokers, names.output, { atLeast: inputs.length }), inputs);
    });

    it('fails for good on a Kafka error inside the transaction: done rejects, none of it is visible, a new start does the batch again', async () => {
      const { names, inputs } = await setUpWithValues(1, 20);
      let poisoned = true;
      const process = (b: PipelineBatch) => {
        const out = b.records.map((r) => echo(names.output, r));
        // After the outputs, a record over message.max.bytes: the outputs are already in the
        // transaction when Kafka (or the client) refuses it.
        if (poisoned)
          out.push({ topic: names.other, key: null, value: Buffer.alloc(2 * 1024 * 1024), headers: {} });
        return Promise.resolve(out);
      };
      const first = await startPipeline(names, process);
      const failure = await Promise.race([
        first.done.then(
          () => 'resolved',
          (e: unknown) => e,
        ),
        sleep(30000).then(() => 'still running after 30 s'),
      ]);
      expect(failure).to.be.instanceOf(Error);
      await stopPipeline(first);
      expect(await readCommitted(brokers, names.output, { atLeast: 1, timeoutMs: 2000 })).to.have.length(0);
      expect(
        Number((await committedOffsets(brokers, names.group, names.input)).get(0) ?? -1n),
      ).to.be.lessThan(1);

      poisoned = false;
      await startPipeline(names, process);
      expectExactlyOnce(await readCommitted(brokers, names.output, { atLeast: inputs.length }), inputs);
    });

    it('keeps the order of each partition, and of each key on the output', async () => {
      const names = await setUp(3);
      const keys = Array.from({ length: 12 }, (_, i) => `key${i}`);
      const inputs = Array.from({ length: 600 }, (_, i) => ({ key: keys[i % keys.length]!, value: `${i}` }));
      await produceRecords(brokers, names.input, inputs);
      const seen = new Map<number, bigint[]>();
      await startPipeline(names, (b) => {
        const offsets = seen.get(b.partition) ?? [];
        offsets.push(...b.records.map((r) => BigInt(r.offset)));
        seen.set(b.partition, offsets);
        return Promise.resolve(b.records.map((r) => echo(names.output, r)));
      });
      const outputs = await readCommitted(brokers, names.output, { atLeast: inputs.length });
      expectExactlyOnce(
        outputs,
        inputs.map((r) => r.value),
      );
      // process saw each partition's offsets in order, without gaps.
      for (const [partition, offsets] of seen) {
        expect(
          offsets.every((o, i) => o === BigInt(i)),
          `partition ${partition}`,
        ).to.equal(true);
      }
      // Per key, the outputs are in input order (one key, one output partition).
      const byKey = new Map<string, number[]>();
      for (const r of outputs) {
        const k = text(r.key);
        byKey.set(k, [...(byKey.get(k) ?? []), Number(text(r.value).slice('out:'.length))]);
      }
      for (const [k, values] of byKey) {
        expect(
          values.every((v, i) => i === 0 || v > values[i - 1]!),
          `key ${k}`,
        ).to.equal(true);
      }
    });

    it('resumes after stop() from the committed offsets: nothing lost, nothing twice', async () => {
      const names = await setUp(3);
      const inputs = Array.from({ length: 400 }, (_, i) => `v${i}`);
      await produceRecords(
        brokers,
        names.input,
        inputs.slice(0, 300).map((v, i) => ({ key: `k${i % 11}`, value: v })),
      );
      const slow = async (b: PipelineBatch) => {
        await sleep(30);
        return b.records.map((r) => echo(names.output, r));
      };
      const first = await startPipeline(names, slow);
      // Stop while records are still flowing.
      await readCommitted(brokers, names.output, { atLeast: 1, settleMs: 0 });
      await stopPipeline(first);
      const afterStop = await readCommitted(brokers, names.output, { atLeast: 1, settleMs: 500 });
      await produceRecords(
        brokers,
        names.input,
        inputs.slice(300).map((v, i) => ({ key: `k${i % 11}`, value: v })),
      );
      const processedAgain: string[] = [];
      await startPipeline(names, (b) => {
        processedAgain.push(...b.records.map((r) => text(r.value)));
        return slow(b);
      });
      expectExactlyOnce(await readCommitted(brokers, names.output, { atLeast: inputs.length }), inputs);
      // The second run started where the first committed.
      const before = new Set(afterStop.map((r) => text(r.value).slice('out:'.length)));
      expect(processedAgain.filter((v) => before.has(v))).to.deep.equal([]);
    });

    it('hands partitions over between two members of a group (rebalances): nothing lost, nothing twice', async () => {
      const names = await setUp(6);
      const produced: string[] = [];
      const produceMore = async (n: number) => {
        const values = Array.from({ length: n }, (_, i) => `v${produced.length + i}`);
        await produceRecords(
          brokers,
          names.input,
          values.map((value, i) => ({ key: `k${(produced.length + i) % 23}`, value })),
        );
        produced.push(...values);
      };
      const processed = { a: 0, b: 0 };
      const slow = (member: 'a' | 'b') => async (b: PipelineBatch) => {
        processed[member] += b.records.length;
        await sleep(2 * b.records.length);
        return b.records.map((r) => echo(names.output, r));
      };
      await produceMore(300);
      const a = await startPipeline(names, slow('a'), '-a');
      await readCommitted(brokers, names.output, { atLeast: 1, settleMs: 0 });
      // A second member joins while records keep coming: the group rebalances.
      await startPipeline(names, slow('b'), '-b');
      for (let waited = 0; processed.b === 0 && waited < 60000; waited += 300) {
        await produceMore(30);
        await sleep(300);
      }
      // The first leaves while records still flow: its partitions move to the second.
      await produceMore(100);
      await stopPipeline(a);
      await produceMore(100);
      expectExactlyOnce(
        await readCommitted(brokers, names.output, {
          atLeast: produced.length,
          settleMs: 3000,
          timeoutMs: 120000,
        }),
        produced,
      );
      expect(processed.a, 'records the first member processed').to.be.greaterThan(0);
      expect(processed.b, 'records the second member processed').to.be.greaterThan(0);
    });

    it('reads a topic from the beginning and stops when onRecord returns false', async () => {
      const names = await setUp(1);
      await produceRecords(
        brokers,
        names.input,
        Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
      );
      const got: KafkaRecord[] = [];
      await createReader({ brokers, client }, `stockline-test-${client}`).read({
        topics: [names.input],
        fromBeginning: true,
        signal: AbortSignal.timeout(30000),
        onRecord: (r) => {
          got.push(r);
          return got.length < 4;
        },
      });
      expect(got.map((r) => [r.offset, text(r.key), text(r.value)])).to.deep.equal([
        ['0', 'k0', 'v0'],
        ['1', 'k1', 'v1'],
        ['2', 'k2', 'v2'],
        ['3', 'k3', 'v3'],
      ]);
      expect(got[0]!.partition).to.equal(0);
      expect(Number(got[0]!.timestamp)).to.be.greaterThan(Date.now() - 600000);
    });

    /**
     * kafkajs tells a null header value from an empty one; node-rdkafka 3.6.1 does not (its
     * message conversion gives both as an empty Buffer), so there a null value arrives empty.
     */
    const expectNoValue = (value: Buffer | undefined) =>
      client === 'kafkajs' ? expect(value).to.equal(undefined) : expect(value?.length ?? 0).to.equal(0);

    it('a header with a null value (Java producers, Connect SMTs) arrives as a header without a value: reader and pipeline', async () => {
      const names = await setUp(1);
      // kafkajs writes a null header value as length -1, as the Java client does.
      await produceWithNullHeader(brokers, names.input, 'v0');
      const read: KafkaRecord[] = [];
      await createReader({ brokers, client }, `stockline-test-${client}`).read({
        topics: [names.input],
        fromBeginning: true,
        signal: AbortSignal.timeout(30000),
        onRecord: (r) => {
          read.push(r);
          return false;
        },
      });
      expect(read).to.have.length(1);
      expect(Object.keys(read[0]!.headers)).to.have.members(['nothing', 'some']);
      expectNoValue(read[0]!.headers.nothing);
      expect(text(read[0]!.headers.some ?? null)).to.equal('thing');

      const seen: KafkaRecord[] = [];
      await startPipeline(names, (b) => {
        seen.push(...b.records);
        return Promise.resolve(b.records.map((r) => echo(names.output, r)));
      });
      const outputs = await readCommitted(brokers, names.output, { atLeast: 1, settleMs: 200 });
      expect(outputs.map((r) => text(r.value))).to.deep.equal(['out:v0']);
      expect(seen[0]!.headers).to.have.property('nothing');
      expectNoValue(seen[0]!.headers.nothing);

      if (client !== 'kafkajs') return; // the materializer's batch consumer exists for kafkajs only
      const connection = { brokers, clientId: 'stockline-test' };
      const consumer = kafkajsBatchConsumer(kafkajsClient(connection), connection);
      const fetched = new Promise<FetchedBatch>((resolve, reject) => {
        void consumer.start({
          groupId: `${names.group}-batches`,
          topic: names.input,
          onAssignment: () => undefined,
          onBatch: (batch) => Promise.resolve(resolve(batch)),
          onCrash: reject,
        });
      });
      try {
        const batch = await fetched;
        expect(batch.records[0]!.headers).to.have.property('nothing', undefined);
      } finally {
        await consumer.stop();
      }
    });

    it('reader: fails with the topic name when a topic does not exist', async () => {
      const missing = `test.kport.missing.${uniqueSuffix()}`;
      let error: unknown;
      await createReader({ brokers, client }, `stockline-test-${client}`, { quiet: true })
        .read({ topics: [missing], fromBeginning: true, onRecord: () => false })
        .catch((e: unknown) => (error = e));
      expect(String(error)).to.contain(missing);
    });
  });
}
