// How far a consumer group is behind: the end offsets of the topics it reads minus the offsets
// it committed. The materializer commits to Kafka about once a second (its positions of record
// live in PostgreSQL), so this can read up to a second's worth high.
import type { Admin } from 'kafkajs';

export async function groupLag(admin: Admin, groupId: string, topics?: string[]): Promise<number> {
  const committed = await admin.fetchOffsets(topics ? { groupId, topics } : { groupId });
  let lag = 0;
  for (const { topic, partitions } of committed) {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    for (const p of partitions) {
      const end = ends.get(p.partition) ?? 0n;
      // -1: nothing committed yet on that partition, so all of it is still to read.
      const at = BigInt(p.offset) < 0n ? 0n : BigInt(p.offset);
      if (end > at) lag += Number(end - at);
    }
  }
  return lag;
}
