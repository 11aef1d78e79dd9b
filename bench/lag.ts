// How far the mapper and materializer groups are behind, as the demo shows it: the mapper from
// its Kafka commits, the materializer from the positions it stores with each batch (its Kafka
// commits trail by up to a second).
import type { Knex } from 'knex';
import type { KafkaAdmin } from '../src/kafka/port.js';
import { postgresStockReader } from '../src/stock/postgres/stock-reader.js';
import {
  furthest,
  groupLag,
  readCommitted,
  readMaterializerPositions,
  readTopicEnds,
  type TopicOffsets,
} from '../src/kafka/consumer-lag.js';

/** Records behind the end over every topic the group has committed offsets on (one offsets request). */
export async function mapperLag(admin: KafkaAdmin, groupId: string): Promise<number> {
  const committed: TopicOffsets = await admin.groupOffsets(groupId);
  const { ends, starts } = await readTopicEnds(admin, [...committed.keys()]);
  return Number(groupLag(ends, committed, starts).total);
}

export async function materializerLag(
  admin: KafkaAdmin,
  db: Knex,
  groupId: string,
  topic: string,
): Promise<number> {
  const { ends, starts } = await readTopicEnds(admin, [topic]);
  const at = furthest(
    await readCommitted(admin, groupId, [topic]),
    await readMaterializerPositions(postgresStockReader(db), groupId, topic),
  );
  return Number(groupLag(ends, at, starts).total);
}
