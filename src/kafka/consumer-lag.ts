// Consumer lag of a group, the way Kafka's own tools compute it: per partition, the topic's end
// offset minus the offset the group committed. The arithmetic is pure (tested beside this file);
// reading the offsets goes through the Kafka port's admin.
import type { KafkaAdmin, TopicOffsets } from './port.js';

/** Offsets per topic and partition (Kafka offsets are 64-bit: bigint). */
export type { TopicOffsets };

export interface TopicLag {
  topic: string;
  /** Records between the committed offset and the end, over every partition. */
  lag: bigint;
  /** Partitions without a committed offset (the group has not read them yet). */
  uncommitted: number;
}

export interface GroupLag {
  total: bigint;
  topics: TopicLag[];
}

/**
 * End offsets minus committed offsets, per topic. A partition without a committed offset
 * counts from the start of the topic (`starts`, 0 when unknown): a group that reads from the
 * beginning has all of it still to read. A committed offset beyond the end (a topic recreated)
 * counts as no lag rather than a negative one.
 */
export function groupLag(
  ends: TopicOffsets,
  committed: TopicOffsets,
  starts: TopicOffsets = new Map(),
): GroupLag {
  const topics: TopicLag[] = [];
  let total = 0n;
  for (const [topic, partitions] of [...ends].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let lag = 0n;
    let uncommitted = 0;
    for (const [partition, end] of partitions) {
      const done = committed.get(topic)?.get(partition);
      if (done === undefined) uncommitted++;
      const from = done ?? starts.get(topic)?.get(partition) ?? 0n;
      if (end > from) lag += end - from;
    }
    topics.push({ topic, lag, uncommitted });
    total += lag;
  }
  return { total, topics };
}

/** Sums a group's lag over the topics that `classify` puts in the same bucket (e.g. per source). */
export function lagBy<K extends string>(
  lag: GroupLag,
  classify: (topic: string) => K | undefined,
): Map<K, bigint> {
  const sums = new Map<K, bigint>();
  for (const t of lag.topics) {
    const key = classify(t.topic);
    if (key !== undefined) sums.set(key, (sums.get(key) ?? 0n) + t.lag);
  }
  return sums;
}

export interface TopicEnds {
  /** The offset the next record of each partition gets. */
  ends: TopicOffsets;
  /** The first offset still kept. */
  starts: TopicOffsets;
}

/** End and start offsets of the topics (those that do not exist are left out). */
export async function readTopicEnds(admin: KafkaAdmin, topics: readonly string[]): Promise<TopicEnds> {
  const ends: TopicOffsets = new Map();
  const starts: TopicOffsets = new Map();
  await Promise.all(
    topics.map(async (topic) => {
      const offsets = await admin.topicOffsets(topic).catch(() => undefined);
      if (!offsets) return;
      ends.set(topic, new Map([...offsets].map(([partition, o]) => [partition, o.high])));
      starts.set(topic, new Map([...offsets].map(([partition, o]) => [partition, o.low])));
    }),
  );
  return { ends, starts };
}

/** The offsets a group committed on the topics; partitions without a commit are left out. */
export function readCommitted(
  admin: KafkaAdmin,
  groupId: string,
  topics: readonly string[],
): Promise<TopicOffsets> {
  return admin.groupOffsets(groupId, topics);
}

/** One group's lag over the topics it reads, from Kafka. */
export async function fetchGroupLag(
  admin: KafkaAdmin,
  groupId: string,
  topics: readonly string[],
): Promise<GroupLag> {
  const { ends, starts } = await readTopicEnds(admin, topics);
  const committed = await readCommitted(admin, groupId, [...ends.keys()]);
  return groupLag(ends, committed, starts);
}

/** Where a group's positions are stored outside Kafka: the stock store's reader (src/stock/reads.ts). */
export interface StoredPositionsReader {
  /** Per partition, the first offset not applied yet. */
  storedPositions(groupId: string, topic: string): Promise<Map<number, bigint>>;
}

/**
 * Where the materializer really is: the next offset per partition that it stores in the stock
 * database with each batch (src/materializer/README.md, "Operating it"). Its Kafka commits are
 * for lag tools only, at most once a second, and stop a transaction marker short of the end;
 * the stored position does neither.
 */
export async function readMaterializerPositions(
  stored: StoredPositionsReader,
  groupId: string,
  topic: string,
): Promise<TopicOffsets> {
  return new Map([[topic, await stored.storedPositions(groupId, topic)]]);
}

/** Per partition, the furthest of two views of a group's position (partitions of either). */
export function furthest(a: TopicOffsets, b: TopicOffsets): TopicOffsets {
  const merged: TopicOffsets = new Map();
  for (const source of [a, b])
    for (const [topic, partitions] of source) {
      const into = merged.get(topic) ?? new Map<number, bigint>();
      for (const [partition, offset] of partitions) {
        const known = into.get(partition);
        if (known === undefined || offset > known) into.set(partition, offset);
      }
      merged.set(topic, into);
    }
  return merged;
}
