import { Kafka, logLevel } from 'kafkajs';
import pRetry from 'p-retry';
import { RemoteError } from '../errors.js';
import { createKafkaLogCreator } from './kafkajs-logging.js';
import type { KafkaAdmin, KafkaConnection, TopicOffsets } from './port.js';

export function kafkajsClient(connection: KafkaConnection): Kafka {
  return new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    logLevel: connection.quiet ? logLevel.NOTHING : logLevel.WARN,
    logCreator: createKafkaLogCreator,
    connectionTimeout: 3000,
    retry: connection.quiet ? { retries: 0 } : { retries: 3 },
  });
}

/** kafkajs reports an unreachable cluster as a nested non-retriable error; say it plainly. */
export async function connectOrExplain(
  connection: KafkaConnection,
  connect: () => Promise<void>,
): Promise<void> {
  try {
    await connect();
  } catch (e) {
    const cause = (e as { cause?: Error }).cause ?? (e as Error);
    throw new RemoteError(
      `cannot reach Kafka at ${connection.brokers.join(',')}: ${cause.message}; is it running? (./stockline stack status)`,
      { brokers: connection.brokers.join(',') },
      { cause: e },
    );
  }
}

export function createKafkaAdmin(connection: KafkaConnection): KafkaAdmin {
  const admin = kafkajsClient(connection).admin();
  let connected: Promise<void> | undefined;
  const ready = () => (connected ??= connectOrExplain(connection, () => admin.connect()));
  return {
    async describeCluster() {
      await ready();
      return admin.describeCluster();
    },
    async listTopics() {
      await ready();
      return admin.listTopics();
    },
    async createTopics(topics) {
      await ready();
      // A topic created a moment ago may not be known to every metadata request yet.
      await pRetry(
        () =>
          admin.createTopics({
            waitForLeaders: true,
            topics: topics.map((t) => ({
              topic: t.topic,
              numPartitions: t.partitions ?? 1,
              // -1: the broker's default.replication.factor (KIP-464).
              replicationFactor: t.replicationFactor ?? -1,
              configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
            })),
          }),
        { retries: 5, minTimeout: 300 },
      );
    },
    async deleteTopics(topics) {
      await ready();
      await admin.deleteTopics({ topics });
    },
    async endOffsets(topic) {
      await ready();
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    },
    async topicOffsets(topic) {
      await ready();
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
    },
    async groupOffsets(groupId, topics) {
      const committed: TopicOffsets = new Map();
      // kafkajs answers an empty topic list with nothing; never pass `resolveOffsets`: kafkajs
      // would then write the group's offsets.
      if (topics?.length === 0) return committed;
      await ready();
      const answer = await admin.fetchOffsets(topics ? { groupId, topics: [...topics] } : { groupId });
      for (const { topic, partitions } of answer) {
        const map = new Map<number, bigint>();
        // "-1": nothing committed.
        for (const p of partitions) if (!p.offset.startsWith('-')) map.set(p.partition, BigInt(p.offset));
        committed.set(topic, map);
      }
      return committed;
    },
    async close() {
      if (connected) await connected.catch(() => undefined);
      await admin.disconnect();
    },
  };
}
