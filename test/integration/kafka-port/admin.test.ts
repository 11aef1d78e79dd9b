import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { createAdmin, KAFKA_CLIENTS } from '../../../src/kafka/clients.js';
import type { KafkaAdmin } from '../../../src/kafka/port.js';
import { uniqueSuffix } from '../../support/config.js';
import { kafkajsClient, produceRecords } from '../../support/kafka.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../../support/stack.js';

/** Skips a case an adapter cannot do, with the reason in the report. */
function skipBecause(context: Mocha.Context, reason: string): never {
  if (context.test) context.test.title += ` (skipped: ${reason})`;
  context.skip();
}

/**
 * Conformance of `KafkaAdmin` (src/kafka/port.ts): the same cases against every adapter, on the
 * real broker of the local stack. What an adapter cannot do is skipped with the reason.
 */
for (const client of KAFKA_CLIENTS) {
  describe(`Kafka port conformance, admin: ${client} (integration)`, function () {
    this.timeout(STACK_TIMEOUT_MS);
    let brokers: string[];
    let admin: KafkaAdmin;
    /** Topics a test created; deleted after it (by the kafkajs admin, whatever the client under test). */
    let created: string[] = [];

    before(async () => {
      brokers = [...(await ensureStack()).config.kafka.brokers];
    });
    beforeEach(() => {
      admin = createAdmin({ brokers, client }, `stockline-test-admin-${client}`, { library: client });
    });
    afterEach(async () => {
      await admin.close();
      if (created.length === 0) return;
      const cleanup = createAdmin({ brokers, client }, 'stockline-test-cleanup');
      const existing = new Set(await cleanup.listTopics());
      await cleanup.deleteTopics(created.filter((t) => existing.has(t))).catch(() => undefined);
      await cleanup.close();
      created = [];
    });

    const topicName = (what: string) => {
      const name = `test.kadmin.${what}.${uniqueSuffix()}`;
      created.push(name);
      return name;
    };

    /** Polls listTopics until `check` holds (topic deletion is asynchronous in Kafka). */
    async function eventuallyListed(check: (topics: Set<string>) => boolean, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const topics = new Set(await admin.listTopics());
        if (check(topics) || Date.now() > deadline) return topics;
        await sleep(250);
      }
    }

    it('creates topics with their partition counts, lists them, and deletes them', async () => {
      const one = topicName('one');
      const three = topicName('three');
      await admin.createTopics([
        { topic: one, partitions: 1 },
        { topic: three, partitions: 3, config: { 'retention.ms': '3600000' } },
      ]);
      const listed = new Set(await admin.listTopics());
      expect(listed.has(one) && listed.has(three), 'both topics listed right after createTopics').to.equal(
        true,
      );
      // Created means usable: every partition has a leader and answers for its end offset.
      expect([...(await admin.endOffsets(one)).keys()]).to.deep.equal([0]);
      expect([...(await admin.endOffsets(three)).keys()].sort()).to.deep.equal([0, 1, 2]);

      await admin.deleteTopics([one, three]);
      const after = await eventuallyListed((t) => !t.has(one) && !t.has(three));
      expect([after.has(one), after.has(three)]).to.deep.equal([false, false]);
    });

    it('leaves a topic that exists already as it is', async () => {
      const topic = topicName('exists');
      await admin.createTopics([{ topic, partitions: 2 }]);
      await admin.createTopics([{ topic, partitions: 5 }]);
      expect((await admin.endOffsets(topic)).size).to.equal(2);
    });

    it("uses the broker's default replication factor when none is given", async () => {
      const topic = topicName('default-rf');
      // The local stack has one broker: a factor of 3 would be refused, -1 (the default) is not.
      await admin.createTopics([{ topic, partitions: 1 }]);
      expect(await admin.listTopics()).to.include(topic);
    });

    it('refuses a topic the broker cannot create', async () => {
      const topic = topicName('refused');
      let error: unknown;
      await admin
        .createTopics([{ topic, partitions: 1, replicationFactor: 99 }])
        .catch((e: unknown) => (error = e));
      expect(error, 'createTopics rejected').to.be.instanceOf(Error);
      expect(await admin.listTopics()).not.to.include(topic);
    });

    it('topicOffsets: both ends of every partition, as bigint', async () => {
      const topic = topicName('both-ends');
      await admin.createTopics([{ topic, partitions: 2 }]);
      await produceRecords(brokers, topic, [
        ...Array.from({ length: 4 }, (_, i) => ({ key: null, value: `a${i}`, partition: 1 })),
      ]);
      const offsets = await admin.topicOffsets(topic);
      expect([...offsets].sort(([a], [b]) => a - b)).to.deep.equal([
        [0, { low: 0n, high: 0n }],
        [1, { low: 0n, high: 4n }],
      ]);
    });

    it("groupOffsets: a group's commits per topic and partition, never moving them", async () => {
      const topic = topicName('group');
      const other = topicName('group-other');
      await admin.createTopics([
        { topic, partitions: 2 },
        { topic: other, partitions: 1 },
      ]);
      await produceRecords(brokers, topic, [
        ...Array.from({ length: 7 }, (_, i) => ({ key: null, value: `a${i}`, partition: 0 })),
      ]);
      const groupId = `stockline-test-admin-group-${client}-${uniqueSuffix()}`;
      // The witness: kafkajs commits for a group with no members (partition 1 gets nothing).
      const witness = kafkajsClient({ brokers, clientId: 'stockline-test-admin-witness' }).admin();
      await witness.connect();
      try {
        await witness.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '5' }] });
      } finally {
        await witness.disconnect();
      }
      const named = await admin.groupOffsets(groupId, [topic, other]);
      expect(named.get(topic)).to.deep.equal(new Map([[0, 5n]]));
      expect(named.get(other)?.size ?? 0, 'no commit on the other topic').to.equal(0);
      const all = await admin.groupOffsets(groupId);
      expect(all.get(topic)).to.deep.equal(new Map([[0, 5n]]));
      expect(await admin.groupOffsets(`${groupId}-none`, [topic])).to.satisfy(
        (m: Map<string, Map<number, bigint>>) => (m.get(topic)?.size ?? 0) === 0,
      );
      // Reading moved nothing: still 5.
      expect((await admin.groupOffsets(groupId, [topic])).get(topic)).to.deep.equal(new Map([[0, 5n]]));
    });

    it('endOffsets: the offset the next record of each partition gets, as bigint', async () => {
      const topic = topicName('ends');
      await admin.createTopics([{ topic, partitions: 3 }]);
      await produceRecords(brokers, topic, [
        ...Array.from({ length: 5 }, (_, i) => ({ key: null, value: `a${i}`, partition: 0 })),
        ...Array.from({ length: 2 }, (_, i) => ({ key: null, value: `c${i}`, partition: 2 })),
      ]);
      const ends = await admin.endOffsets(topic);
      expect([...ends.values()].every((v) => typeof v === 'bigint')).to.equal(true);
      expect([...ends].sort(([a], [b]) => a - b)).to.deep.equal([
        [0, 5n],
        [1, 0n],
        [2, 2n],
      ]);
    });

    it('describeCluster: the brokers that answer metadata', async () => {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).to.have.length.greaterThan(0);
      const ports = brokers.map((b) => Number(b.split(':').at(-1)));
      expect(ports, 'a configured broker port is among the described brokers').to.include(
        cluster.brokers[0]!.port,
      );
      expect(cluster.brokers[0]!.nodeId).to.be.a('number');
    });

    it('describeCluster: the cluster id and the controller', async function () {
      if (client === 'node-rdkafka')
        skipBecause(this, "node-rdkafka's metadata carries neither (port.ts, outside the contract)");
      const cluster = await admin.describeCluster();
      expect(cluster.clusterId).to.be.a('string').and.not.equal('');
      expect(cluster.brokers.map((b) => b.nodeId)).to.include(cluster.controller);
    });

    it('says plainly when Kafka cannot be reached', async () => {
      const unreachable = createAdmin(
        { brokers: ['127.0.0.1:1'], client },
        `stockline-test-admin-${client}`,
        { library: client, quiet: true },
      );
      let error: unknown;
      await unreachable.listTopics().catch((e: unknown) => (error = e));
      await unreachable.close();
      expect(String(error)).to.contain('cannot reach Kafka at 127.0.0.1:1');
    });
  });
}
