import { setTimeout as sleep } from 'node:timers/promises';
import type * as Rdkafka from 'node-rdkafka';
import pRetry, { AbortError } from 'p-retry';
import { RemoteError } from '../errors.js';
import type { KafkaAdmin, KafkaConnection, PartitionOffsets, TopicOffsets, TopicSpec } from './port.js';
import {
  asError,
  asRemoteError,
  baseConfig,
  connect,
  disconnect,
  isLibrdkafkaError,
  loadRdkafka,
  logClientErrors,
  type RdkafkaModule,
} from './rdkafka-client.js';

/** How long one admin request or metadata/watermark query may take. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How long createTopics waits for every new partition to have a leader (kafkajs's waitForLeaders). */
const LEADERS_TIMEOUT_MS = 15_000;

interface Clients {
  admin: Rdkafka.IAdminClient;
  /** AdminClient has no metadata or watermark calls in node-rdkafka: a producer that never produces does them. */
  metadata: Rdkafka.Producer;
}

function metadataOf(client: Rdkafka.Producer, topic?: string): Promise<Rdkafka.Metadata> {
  return new Promise((resolve, reject) => {
    client.getMetadata(
      topic === undefined
        ? { allTopics: true, timeout: REQUEST_TIMEOUT_MS }
        : { topic, allTopics: false, timeout: REQUEST_TIMEOUT_MS },
      (err, metadata) =>
        err ? reject(asRemoteError('cannot read the cluster metadata', err, { topic })) : resolve(metadata),
    );
  });
}

function watermarksOnce(
  client: Rdkafka.Producer,
  topic: string,
  partition: number,
): Promise<PartitionOffsets> {
  return new Promise((resolve, reject) => {
    client.queryWatermarkOffsets(topic, partition, REQUEST_TIMEOUT_MS, (err, offsets) =>
      err
        ? reject(asError(err))
        : // node-rdkafka hands int64 offsets over as JS numbers: exact up to 2^53, kept as bigint from here on.
          resolve({ low: BigInt(offsets.lowOffset), high: BigInt(offsets.highOffset) }),
    );
  });
}

/**
 * Both ends of a partition. A partition whose leadership is still moving (a topic created a
 * moment ago, a broker restarting) answers "not leader" for a while: asked again, as kafkajs does
 * on its own.
 */
function watermarks(client: Rdkafka.Producer, topic: string, partition: number): Promise<PartitionOffsets> {
  const { ERRORS } = loadRdkafka().CODES;
  const moving = [
    ERRORS.ERR_NOT_LEADER_FOR_PARTITION,
    ERRORS.ERR_LEADER_NOT_AVAILABLE,
    ERRORS.ERR_UNKNOWN_TOPIC_OR_PART,
  ];
  return pRetry(
    async () => {
      try {
        return await watermarksOnce(client, topic, partition);
      } catch (e) {
        const error = asRemoteError(`cannot read the offsets of ${topic}/${partition}`, e, {
          topic,
          partition,
        });
        throw isLibrdkafkaError(e) && moving.includes(e.code) ? error : new AbortError(error);
      }
    },
    { retries: 6, minTimeout: 100, maxTimeout: 1000 },
  );
}

/** The partitions of a topic, or a RemoteError saying it does not exist. */
async function partitionsOf(client: Rdkafka.Producer, topic: string): Promise<number[]> {
  const described = (await metadataOf(client, topic)).topics.find((t) => t.name === topic);
  if (!described?.partitions.length)
    throw new RemoteError(`topic ${topic} does not exist`, { topic }, { retriable: false });
  return described.partitions.map((p) => p.id);
}

/**
 * A group's committed offsets, read by a consumer of that group that never subscribes (an
 * OffsetFetch: it does not join the group, so it moves nothing). node-rdkafka 3.6 has no
 * ListConsumerGroupOffsets, so "every topic the group committed on" is every topic of the
 * cluster (internal ones aside) where it committed something.
 */
async function committedOffsets(
  kafka: RdkafkaModule,
  connection: KafkaConnection,
  groupId: string,
  toppars: Rdkafka.TopicPartition[],
): Promise<TopicOffsets> {
  const committed: TopicOffsets = new Map();
  if (toppars.length === 0) return committed;
  const consumer = new kafka.KafkaConsumer(
    { ...baseConfig(connection), 'group.id': groupId, 'enable.auto.commit': false },
    {},
  );
  logClientErrors(consumer, connection);
  await connect(consumer, connection);
  try {
    const answer = await new Promise<Rdkafka.TopicPartitionOffset[]>((resolve, reject) =>
      consumer.committed(toppars, REQUEST_TIMEOUT_MS, (err, offsets) =>
        err
          ? reject(asRemoteError(`cannot read the offsets of group ${groupId}`, err, { groupId }))
          : resolve(offsets),
      ),
    );
    for (const { topic, partition, offset } of answer) {
      // Negative (-1001, invalid) or absent (node-rdkafka leaves it out): nothing committed here.
      if (typeof offset !== 'number' || offset < 0) continue;
      if (!committed.has(topic)) committed.set(topic, new Map());
      committed.get(topic)!.set(partition, BigInt(offset));
    }
    return committed;
  } finally {
    await disconnect(consumer);
  }
}

/** Runs an AdminClient call, which reports through `(err) => void`. */
function adminCall(run: (cb: (err: Rdkafka.LibrdKafkaError | undefined) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    run((err) => (err ? reject(asError(err)) : resolve()));
  });
}

/**
 * The node-rdkafka adapter of `KafkaAdmin`: librdkafka's AdminClient creates and deletes topics,
 * a producer that never produces reads the metadata (brokers, topics) and the watermarks. The
 * native addon is loaded on the first call, so a service on kafkajs never loads it.
 *
 * node-rdkafka's metadata carries neither the cluster id nor the controller: `describeCluster`
 * answers `clusterId: ''` and `controller: null` (see the port's notes).
 */
export function createRdkafkaAdmin(connection: KafkaConnection): KafkaAdmin {
  let clients: Promise<Clients> | undefined;
  const ready = (): Promise<Clients> =>
    (clients ??= (async () => {
      const kafka = loadRdkafka();
      const metadata = new kafka.Producer(baseConfig(connection));
      logClientErrors(metadata, connection);
      await connect(metadata, connection);
      // Created after the producer reached the cluster: AdminClient.create does not check that it can.
      const admin = kafka.AdminClient.create(baseConfig(connection));
      return { admin, metadata };
    })().catch((e: unknown) => {
      // Kafka away: the next call tries to connect again.
      clients = undefined;
      throw e;
    }));

  /** Waits until the topic's metadata shows `wanted` partitions, each with a leader. */
  const waitForLeaders = async (metadata: Rdkafka.Producer, spec: TopicSpec, wanted: number) => {
    const deadline = Date.now() + LEADERS_TIMEOUT_MS;
    for (;;) {
      const topic = (await metadataOf(metadata, spec.topic)).topics.find((t) => t.name === spec.topic);
      const partitions = topic?.partitions ?? [];
      if (partitions.length >= wanted && partitions.every((p) => p.leader >= 0)) return;
      if (Date.now() >= deadline)
        throw new RemoteError(
          `topic ${spec.topic} was created but its partitions have no leader after ${LEADERS_TIMEOUT_MS / 1000} s`,
          { topic: spec.topic },
        );
      await sleep(200);
    }
  };

  return {
    async describeCluster() {
      const { metadata } = await ready();
      const cluster = await metadataOf(metadata);
      return {
        clusterId: '',
        controller: null,
        brokers: cluster.brokers.map((b) => ({ nodeId: b.id, host: b.host, port: b.port })),
      };
    },

    async listTopics() {
      const { metadata } = await ready();
      return (await metadataOf(metadata)).topics.map((t) => t.name);
    },

    async createTopics(topics) {
      const { admin, metadata } = await ready();
      const { CODES } = loadRdkafka();
      await Promise.all(
        topics.map(async (spec) => {
          const newTopic: Rdkafka.NewTopic = {
            topic: spec.topic,
            num_partitions: spec.partitions ?? 1,
            // -1: the broker's default.replication.factor (KIP-464).
            replication_factor: spec.replicationFactor ?? -1,
            config: { ...spec.config },
          };
          let existed = false;
          // A topic created a moment ago may not be known to every broker request yet (as in kafkajs-admin.ts).
          await pRetry(
            async () => {
              try {
                await adminCall((cb) => admin.createTopic(newTopic, REQUEST_TIMEOUT_MS, cb));
              } catch (e) {
                // Like the kafkajs adapter: a topic that exists already is left as it is.
                if (isLibrdkafkaError(e) && e.code === CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS) {
                  existed = true;
                  return;
                }
                const error = asRemoteError(`cannot create topic ${spec.topic}`, e, { topic: spec.topic });
                throw refusedForGood(e, CODES.ERRORS) ? new AbortError(error) : error;
              }
            },
            { retries: 5, minTimeout: 300 },
          );
          await waitForLeaders(metadata, spec, existed ? 1 : newTopic.num_partitions);
        }),
      );
    },

    async deleteTopics(topics) {
      const { admin } = await ready();
      await Promise.all(
        topics.map((topic) =>
          adminCall((cb) => admin.deleteTopic(topic, REQUEST_TIMEOUT_MS, cb)).catch((e: unknown) => {
            throw asRemoteError(`cannot delete topic ${topic}`, e, { topic });
          }),
        ),
      );
    },

    async endOffsets(topic) {
      const { metadata } = await ready();
      const partitions = await partitionsOf(metadata, topic);
      const entries = await Promise.all(
        partitions.map(async (p) => [p, (await watermarks(metadata, topic, p)).high] as [number, bigint]),
      );
      return new Map(entries);
    },

    async topicOffsets(topic) {
      const { metadata } = await ready();
      const partitions = await partitionsOf(metadata, topic);
      const entries = await Promise.all(
        partitions.map(async (p) => [p, await watermarks(metadata, topic, p)] as [number, PartitionOffsets]),
      );
      return new Map(entries);
    },

    async groupOffsets(groupId, topics) {
      const { metadata } = await ready();
      const cluster = await metadataOf(metadata);
      const wanted = topics ? new Set(topics) : undefined;
      const toppars = cluster.topics
        .filter((t) => (wanted ? wanted.has(t.name) : !t.name.startsWith('__')))
        .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.id })));
      return committedOffsets(loadRdkafka(), connection, groupId, toppars);
    },

    async close() {
      if (!clients) return;
      const opened = await clients.catch(() => undefined);
      clients = undefined;
      if (!opened) return;
      opened.admin.disconnect();
      await disconnect(opened.metadata);
    },
  };
}

/** What the broker refuses whatever the moment: retrying the request cannot help. */
function refusedForGood(e: unknown, codes: RdkafkaModule['CODES']['ERRORS']): boolean {
  if (!isLibrdkafkaError(e)) return false;
  return [
    codes.ERR_INVALID_CONFIG,
    codes.ERR_INVALID_PARTITIONS,
    codes.ERR_INVALID_REPLICATION_FACTOR,
    codes.ERR_POLICY_VIOLATION,
    codes.ERR_TOPIC_AUTHORIZATION_FAILED,
    codes.ERR_TOPIC_EXCEPTION,
  ].includes(e.code);
}
