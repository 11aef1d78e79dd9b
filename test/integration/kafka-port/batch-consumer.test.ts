import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type {
  BatchConsumer,
  BatchConsumerOptions,
  BatchControl,
  FetchedBatch,
} from '../../../src/kafka/batch-consumer.js';
import {
  createAdmin,
  createBatchConsumer,
  KAFKA_CLIENTS,
  type BatchConsumerSettings,
  type KafkaClientName,
} from '../../../src/kafka/clients.js';
import { kafkajsClient } from '../../../src/kafka/kafkajs-admin.js';
import type { KafkaConnection, KafkaRecord } from '../../../src/kafka/port.js';
import { baseConfig, call, connect, disconnect, loadRdkafka } from '../../../src/kafka/rdkafka-client.js';
import { uniqueSuffix } from '../../support/config.js';
import {
  committedOffsets,
  createTestTopics,
  produceRecords,
  produceWithNullHeader,
} from '../../support/kafka.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../../support/stack.js';

/**
 * Conformance of the batch consumer (src/kafka/batch-consumer.ts): the same cases against every
 * adapter, on the real broker of the local stack. The caller below uses the port as the
 * materializer does: it owns the positions (here a map standing for its database), seeks a
 * partition there when a batch did not start at it, and moves past ranges reported filtered out.
 */

/** Polls until `check` holds or `timeoutMs` passed; returns whether it held. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 30000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** A caller that owns its positions, like the materializer's BatchApplier. */
class PositionOwner {
  readonly applied: KafkaRecord[] = [];
  readonly batches: FetchedBatch[] = [];
  readonly assignments: number[][] = [];
  readonly filteredOut: { partition: number; first: string; last: string }[] = [];
  readonly crashes: unknown[] = [];
  seeks = 0;
  /** Partitions with a batch in the caller's hands right now (to see two at once). */
  private readonly inFlight = new Set<number>();
  overlapping = false;
  private generation = 0;
  private readonly cursors = new Map<number, { generation: number; cursor: bigint }>();
  /** Called with each batch after the position check, before it is applied; false: leave it unresolved. */
  accept: (batch: FetchedBatch, control: BatchControl) => boolean | Promise<boolean> = () => true;

  /** `positions`: the caller's database, shared by the members of one group. */
  constructor(readonly positions = new Map<number, bigint>()) {}

  get lastAssignment(): number[] {
    return this.assignments.at(-1) ?? [];
  }

  private cursor(partition: number) {
    const known = this.cursors.get(partition);
    if (known?.generation === this.generation) return known;
    const fresh = { generation: this.generation, cursor: this.positions.get(partition) ?? 0n };
    this.cursors.set(partition, fresh);
    return fresh;
  }

  options(groupId: string, topic: string): BatchConsumerOptions {
    return {
      groupId,
      topic,
      onAssignment: (partitions) => {
        this.generation++;
        this.assignments.push([...partitions].sort((a, b) => a - b));
      },
      onBatch: async (batch, control) => {
        if (this.inFlight.has(batch.partition)) this.overlapping = true;
        this.inFlight.add(batch.partition);
        try {
          await this.handle(batch, control);
        } finally {
          this.inFlight.delete(batch.partition);
        }
      },
      onFilteredOut: (partition, first, last) => {
        this.filteredOut.push({ partition, first, last });
        const state = this.cursor(partition);
        if (BigInt(first) === state.cursor) state.cursor = BigInt(last) + 1n;
      },
      onCrash: (e) => this.crashes.push(e),
    };
  }

  private async handle(batch: FetchedBatch, control: BatchControl) {
    this.batches.push(batch);
    const state = this.cursor(batch.partition);
    const from = batch.fetchedOffset ?? batch.firstOffset;
    if (from === null || BigInt(from) !== state.cursor) {
      this.seeks++;
      control.seek(state.cursor);
      return;
    }
    // A slow caller: other partitions' batches may come meanwhile, never this partition's.
    await sleep(5);
    if (!(await this.accept(batch, control)) || !control.isActive()) return;
    this.applied.push(...batch.records);
    state.cursor = BigInt(batch.lastOffset) + 1n;
    this.positions.set(batch.partition, state.cursor);
    control.resolveOffset(batch.records.at(-1)!.offset);
    await control.heartbeat();
  }

  /** Applies only the first `count` records of a batch and resolves up to the last of them. */
  applyFirst(batch: FetchedBatch, control: BatchControl, count: number): void {
    const part = batch.records.slice(0, count);
    const last = part.at(-1)!;
    this.applied.push(...part);
    const state = this.cursor(batch.partition);
    state.cursor = BigInt(last.offset) + 1n;
    this.positions.set(batch.partition, state.cursor);
    control.resolveOffset(last.offset);
  }

  /** Applied values per partition, in the order applied. */
  valuesBy(partition: number): string[] {
    return this.applied.filter((r) => r.partition === partition).map((r) => r.value?.toString() ?? '');
  }
}

/** Writes `values` to partition 0 in one transaction of the library under test, then commits or aborts it. */
async function transaction(
  library: KafkaClientName,
  connection: KafkaConnection,
  topic: string,
  values: string[],
  outcome: 'commit' | 'abort',
  /** Records per send: each send is a record batch of its own on the partition. */
  chunk = values.length,
): Promise<void> {
  const chunks = Array.from({ length: Math.ceil(values.length / chunk) }, (_, i) =>
    values.slice(i * chunk, (i + 1) * chunk),
  );
  const transactionalId = `test-kbatch-txn-${uniqueSuffix()}`;
  if (library === 'kafkajs') {
    const producer = kafkajsClient(connection).producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      for (const part of chunks)
        await txn.send({ topic, messages: part.map((value) => ({ key: null, value, partition: 0 })) });
      await (outcome === 'commit' ? txn.commit() : txn.abort());
    } finally {
      await producer.disconnect();
    }
    return;
  }
  const kafka = loadRdkafka();
  const producer = new kafka.Producer({
    ...baseConfig(connection),
    'transactional.id': transactionalId,
    'enable.idempotence': true,
  });
  await connect(producer, connection);
  try {
    await call((cb) => producer.initTransactions(10000, cb));
    await call((cb) => producer.beginTransaction(cb));
    for (const part of chunks) {
      for (const value of part) producer.produce(topic, 0, Buffer.from(value), null);
      await call((cb) => producer.flush(10000, cb));
    }
    await call((cb) =>
      outcome === 'commit' ? producer.commitTransaction(10000, cb) : producer.abortTransaction(10000, cb),
    );
  } finally {
    await disconnect(producer);
  }
}

for (const client of KAFKA_CLIENTS) {
  describe(`Kafka port conformance, batch consumer: ${client} (integration)`, function () {
    this.timeout(STACK_TIMEOUT_MS);
    let brokers: string[];
    let connection: KafkaConnection;
    let cleanups: (() => Promise<void>)[] = [];

    before(async () => {
      brokers = [...(await ensureStack()).config.kafka.brokers];
      connection = { brokers, clientId: `stockline-test-${client}` };
    });
    afterEach(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      cleanups = [];
    });

    /** A topic and a group of this test alone. */
    async function setUp(partitions: number) {
      const s = uniqueSuffix();
      const names = { topic: `test.kbatch.${s}`, group: `test-kbatch-${client}-${s}` };
      cleanups.push(await createTestTopics(brokers, [{ topic: names.topic, partitions }]));
      return names;
    }

    /** Starts a consumer of the library under test for `owner`; stopped after the test. */
    async function start(
      names: { topic: string; group: string },
      owner: PositionOwner,
      settings: BatchConsumerSettings = {},
    ): Promise<BatchConsumer> {
      const consumer = createBatchConsumer({ brokers, client }, connection.clientId, {
        library: client,
        sessionTimeoutMs: 6000,
        ...settings,
      });
      cleanups.push(() => consumer.stop());
      await consumer.start(owner.options(names.group, names.topic));
      return consumer;
    }

    it('hands over whole batches of one partition each, in offset order, a partition one batch at a time', async () => {
      const names = await setUp(3);
      const perPartition = 200;
      await produceRecords(
        brokers,
        names.topic,
        [0, 1, 2].flatMap((partition) =>
          Array.from({ length: perPartition }, (_, i) => ({
            key: null,
            value: `p${partition}-${i}`,
            partition,
          })),
        ),
      );
      const owner = new PositionOwner();
      await start(names, owner, { concurrency: 2 });
      expect(
        await eventually(() => owner.applied.length >= 3 * perPartition),
        'all records applied',
      ).to.equal(true);
      await sleep(500);
      for (const partition of [0, 1, 2]) {
        const expected = Array.from({ length: perPartition }, (_, i) => `p${partition}-${i}`);
        expect(owner.valuesBy(partition), `partition ${partition}: each record once, in order`).to.deep.equal(
          expected,
        );
      }
      for (const b of owner.batches) {
        expect(b.records.every((r) => r.partition === b.partition && r.topic === names.topic)).to.equal(true);
        const offsets = b.records.map((r) => BigInt(r.offset));
        expect(
          offsets.every((o, i) => i === 0 || o > offsets[i - 1]!),
          'offsets rise within a batch',
        ).to.equal(true);
        expect(BigInt(b.lastOffset) >= offsets.at(-1)!, 'lastOffset covers the records').to.equal(true);
        if (b.fetchedOffset !== undefined)
          expect(BigInt(b.fetchedOffset) <= offsets[0]!, 'fetchedOffset is not past the records').to.equal(
            true,
          );
      }
      expect(owner.overlapping, 'two batches of one partition at the same time').to.equal(false);
      expect(owner.lastAssignment).to.deep.equal([0, 1, 2]);
      expect(owner.crashes).to.deep.equal([]);
    });

    it('fetches again what a batch did not resolve, from after the last resolved offset', async () => {
      const names = await setUp(1);
      await produceRecords(
        brokers,
        names.topic,
        Array.from({ length: 30 }, (_, i) => ({ key: null, value: `v${i}`, partition: 0 })),
      );
      const owner = new PositionOwner();
      let resolvedPart = false;
      const redelivered: (string | undefined)[] = [];
      owner.accept = (batch, control) => {
        if (resolvedPart) {
          redelivered.push(batch.records[0]?.offset);
          return true;
        }
        // The caller applies the first five records only, and says so.
        resolvedPart = true;
        owner.applyFirst(batch, control, 5);
        return false;
      };
      await start(names, owner);
      expect(await eventually(() => owner.applied.length >= 30), 'all records applied').to.equal(true);
      expect(redelivered[0], 'the next batch starts after the resolved offset').to.equal('5');
      expect(owner.seeks, 'without the caller seeking').to.equal(0);
      expect(owner.valuesBy(0)).to.deep.equal(Array.from({ length: 30 }, (_, i) => `v${i}`));
    });

    it("resumes after stop() where the caller's position says, through seek", async () => {
      const names = await setUp(1);
      const values = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => ({ key: null, value: `v${from + i}`, partition: 0 }));
      await produceRecords(brokers, names.topic, values(0, 40));
      const first = new PositionOwner();
      const consumer = await start(names, first);
      expect(await eventually(() => first.applied.length >= 40), 'first run applied all').to.equal(true);
      await consumer.stop();

      // The caller's database says only the first 25 were applied (a crash lost the rest), and
      // Kafka has no committed offset for the group: the new member starts elsewhere, the caller
      // seeks it to 25.
      await produceRecords(brokers, names.topic, values(40, 60));
      const second = new PositionOwner(new Map([[0, 25n]]));
      await start(names, second);
      expect(await eventually(() => second.applied.length >= 35), 'second run applied from 25 on').to.equal(
        true,
      );
      await sleep(500);
      expect(second.valuesBy(0)).to.deep.equal(values(25, 60).map((v) => v.value));
      expect(second.seeks, 'the caller sought at least once').to.be.greaterThan(0);
      expect(second.crashes).to.deep.equal([]);
    });

    it('isActive turns false once the caller seeks within the batch', async () => {
      const names = await setUp(1);
      await produceRecords(brokers, names.topic, [{ key: null, value: 'v0', partition: 0 }]);
      const owner = new PositionOwner();
      const seen: boolean[] = [];
      owner.accept = (_batch, control) => {
        seen.push(control.isActive());
        control.seek(0n);
        seen.push(control.isActive());
        return false;
      };
      await start(names, owner);
      expect(await eventually(() => seen.length >= 2)).to.equal(true);
      expect(seen.slice(0, 2)).to.deep.equal([true, false]);
    });

    it('shares the partitions between two members (rebalance): each to one member, onAssignment each time', async () => {
      const names = await setUp(4);
      const database = new Map<number, bigint>();
      const a = new PositionOwner(database);
      const b = new PositionOwner(database);
      const write = (round: string, n: number) =>
        produceRecords(
          brokers,
          names.topic,
          Array.from({ length: n }, (_, i) => ({ key: null, value: `${round}${i}`, partition: i % 4 })),
        );
      await write('a', 40);
      await start(names, a);
      expect(await eventually(() => a.applied.length >= 40), 'the only member applied everything').to.equal(
        true,
      );
      expect(a.lastAssignment).to.deep.equal([0, 1, 2, 3]);

      const memberB = await start(names, b);
      const shared = () => {
        const union = [...a.lastAssignment, ...b.lastAssignment].sort();
        return a.lastAssignment.length > 0 && b.lastAssignment.length > 0 && union.join() === '0,1,2,3';
      };
      expect(await eventually(shared, 60000), 'both members got partitions, none twice').to.equal(true);
      expect(a.assignments.length, 'the first member was told of the new assignment').to.be.greaterThan(1);

      await write('b', 40);
      expect(
        await eventually(() => a.applied.length + b.applied.length >= 80),
        'every record applied after the rebalance',
      ).to.equal(true);
      await sleep(500);
      const all = [...a.applied, ...b.applied].map((r) => r.value?.toString());
      expect(new Set(all).size, 'no record applied twice').to.equal(all.length);
      const lateBy = (owner: PositionOwner) =>
        owner.applied.filter((r) => r.value?.toString().startsWith('b')).map((r) => r.partition);
      for (const p of lateBy(a)) expect(a.lastAssignment, `a applied partition ${p}`).to.include(p);
      for (const p of lateBy(b)) expect(b.lastAssignment, `b applied partition ${p}`).to.include(p);
      expect([...a.crashes, ...b.crashes]).to.deep.equal([]);

      // stop() leaves the group: the other member takes every partition over at once, not after
      // the session timeout (6 s) that a member that vanished would cost.
      const stoppedAt = Date.now();
      await memberB.stop();
      expect(await eventually(() => a.lastAssignment.join() === '0,1,2,3', 5000), 'a has all again').to.equal(
        true,
      );
      expect(Date.now() - stoppedAt).to.be.lessThan(6000);
    });

    it('reports a fetch of aborted transactions through onFilteredOut, hands over no batch for it, and goes on after it', async () => {
      const names = await setUp(1);
      // Offsets 0-4 aborted, 5 the abort marker; then 6 committed, 7 its marker.
      await transaction(client, connection, names.topic, ['x0', 'x1', 'x2', 'x3', 'x4'], 'abort');
      const owner = new PositionOwner();
      await start(names, owner);
      expect(await eventually(() => owner.filteredOut.length > 0, 20000), 'onFilteredOut called').to.equal(
        true,
      );
      expect(owner.filteredOut[0]).to.deep.equal({ partition: 0, first: '0', last: '5' });
      expect(owner.batches, 'no batch for the aborted range').to.deep.equal([]);

      await transaction(client, connection, names.topic, ['c0'], 'commit');
      expect(
        await eventually(() => owner.applied.length > 0, 20000),
        'the committed record arrives',
      ).to.equal(true);
      expect(owner.valuesBy(0)).to.deep.equal(['c0']);
      const batch = owner.batches.find((b) => b.records.length > 0)!;
      expect(batch.fetchedOffset ?? batch.firstOffset, 'fetched on right after the aborted range').to.equal(
        '6',
      );
      expect(owner.seeks, 'the caller never had to seek back').to.equal(0);
    });

    it('an aborted transaction larger than a fetch: the reports chain from the cursor to past its marker, the caller never seeks back', async () => {
      const names = await setUp(1);
      // 100 aborted records of 200 bytes in 10 record batches (offsets 0-99, marker 100), and
      // fetches of at most 1 KB: kafkajs sees them over several fetches.
      const aborted = Array.from({ length: 100 }, (_, i) => `x${i}`.padEnd(200, '.'));
      await transaction(client, connection, names.topic, aborted, 'abort', 10);
      const owner = new PositionOwner();
      await start(names, owner, { maxBytesPerPartition: 1024 });
      const pastMarker = () => owner.filteredOut.some((f) => BigInt(f.last) >= 100n);
      expect(await eventually(pastMarker, 20000), 'reported up to the abort marker').to.equal(true);
      let cursor = 0n;
      for (const f of owner.filteredOut) {
        expect(f.first, 'each report starts where the previous one ended').to.equal(String(cursor));
        cursor = BigInt(f.last) + 1n;
      }
      await transaction(client, connection, names.topic, ['c0'], 'commit');
      expect(
        await eventually(() => owner.applied.length > 0, 20000),
        'the committed record arrives',
      ).to.equal(true);
      expect(owner.valuesBy(0)).to.deep.equal(['c0']);
      expect(owner.seeks, 'the caller never had to seek back').to.equal(0);
    });

    it('a fetch of aborted records followed by committed ones is one batch, from where the fetch started', async () => {
      const names = await setUp(1);
      await transaction(client, connection, names.topic, ['x0', 'x1', 'x2'], 'abort');
      await transaction(client, connection, names.topic, ['c0', 'c1'], 'commit');
      const owner = new PositionOwner();
      await start(names, owner);
      expect(
        await eventually(() => owner.applied.length >= 2, 20000),
        'the committed records arrive',
      ).to.equal(true);
      expect(owner.valuesBy(0)).to.deep.equal(['c0', 'c1']);
      expect(owner.seeks, 'the caller never had to seek').to.equal(0);
      expect(owner.applied.map((r) => r.offset)).to.deep.equal(['4', '5']);
    });

    it('records deleted under the caller (retention): the next batch does not claim to start where the caller stands', async () => {
      const names = await setUp(1);
      await produceRecords(
        brokers,
        names.topic,
        Array.from({ length: 10 }, (_, i) => ({ key: null, value: `v${i}`, partition: 0 })),
      );
      const owner = new PositionOwner();
      const admin = kafkajsClient(connection).admin();
      await admin.connect();
      cleanups.push(() => admin.disconnect());
      let deleted = false;
      owner.accept = async () => {
        if (deleted) return true;
        // While the first batch is in the caller's hands, offsets 0-4 go; the batch stays unresolved.
        // kafkajs's admin finds the partition's leader only in metadata it loaded before.
        await admin.fetchTopicMetadata({ topics: [names.topic] });
        await admin.deleteTopicRecords({ topic: names.topic, partitions: [{ partition: 0, offset: '5' }] });
        deleted = true;
        return false;
      };
      await start(names, owner);
      expect(await eventually(() => deleted && owner.batches.length >= 2, 20000), 'fetched again').to.equal(
        true,
      );
      const again = owner.batches[1]!;
      expect(again.records[0]!.offset).to.equal('5');
      expect(again.fetchedOffset ?? again.firstOffset, 'where the batch says it starts').to.equal('5');
    });

    it('a header with a null value (Java producers, Connect SMTs) arrives as a header without a value', async () => {
      const names = await setUp(1);
      await produceWithNullHeader(brokers, names.topic, 'v0');
      const owner = new PositionOwner();
      await start(names, owner);
      expect(await eventually(() => owner.applied.length > 0, 20000)).to.equal(true);
      const { headers } = owner.applied[0]!;
      expect(headers).to.have.property('nothing');
      // kafkajs: no value; node-rdkafka: an empty one (as its reader and pipeline, kafka-port.test.ts).
      expect(headers.nothing?.length ?? 0).to.equal(0);
      expect(headers.some?.toString()).to.equal('thing');
    });

    it('partitionOffsets: earliest and end offset as bigint; commit is visible to a lag reader', async () => {
      const names = await setUp(2);
      await produceRecords(
        brokers,
        names.topic,
        Array.from({ length: 12 }, (_, i) => ({ key: null, value: `v${i}`, partition: 1 })),
      );
      const owner = new PositionOwner();
      const consumer = await start(names, owner);
      expect(await consumer.partitionOffsets(names.topic, 1)).to.deep.equal({ low: 0n, high: 12n });
      expect(await consumer.partitionOffsets(names.topic, 0)).to.deep.equal({ low: 0n, high: 0n });

      expect(await eventually(() => owner.applied.length >= 12)).to.equal(true);
      await consumer.commit(names.topic, 1, 12n);
      // Read by another client, as `stockline lag` or Kafka's own tools do.
      const committed = async () => (await committedOffsets(brokers, names.group, names.topic)).get(1);
      expect(await eventually(async () => (await committed()) === 12n, 15000), 'commit visible').to.equal(
        true,
      );
      const admin = createAdmin({ brokers, client }, connection.clientId, { library: client });
      cleanups.push(() => admin.close());
      const ends = await admin.endOffsets(names.topic);
      expect((ends.get(1) ?? 0n) - ((await committed()) ?? 0n), 'lag of partition 1').to.equal(0n);
    });
  });
}
