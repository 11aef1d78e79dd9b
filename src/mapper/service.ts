import { createAdmin, createPipelineFactory } from '../kafka/clients.js';
import { committedPositions, startLagSampler } from '../kafka/lag-metrics.js';
import type { TopicSpec } from '../kafka/port.js';
import { withTopicSettings } from '../kafka/topic-settings.js';
import type { Logger } from '../observability/logger.js';
import { describeError } from '../errors.js';
import type { RoleHandle, RoleHealth, StartRole } from '../service/role.js';
import { createBatchMapper, emptyStats, type MapperStats } from './mapper.js';
import { readMappings } from './mapping-files.js';
import type { MapperOptions } from './options.js';

/** Partitions of a raw topic the mapper creates because no producer has written it yet. */
const RAW_TOPIC_PARTITIONS = 3;

/**
 * Creates the canonical and dead-letter topics, and the raw topics the mappings name that do
 * not exist yet (a queue the replicator has not written to): a consumer cannot subscribe to a
 * topic that does not exist, and it must not miss the first messages.
 */
export async function ensureMapperTopics(
  options: Pick<MapperOptions, 'kafka' | 'canonicalTopic' | 'deadLetterTopic' | 'canonicalPartitions'>,
  rawTopics: string[],
  log: Logger,
): Promise<void> {
  const admin = createAdmin(options.kafka, `${options.kafka.clientId}-admin`);
  try {
    const existing = new Set(await admin.listTopics());
    const wanted: TopicSpec[] = [
      { topic: options.canonicalTopic, partitions: options.canonicalPartitions },
      // Dead letters are kept a month: long enough to fix a mapping and replay them.
      {
        topic: options.deadLetterTopic,
        partitions: 1,
        config: { 'retention.ms': String(30 * 24 * 3600 * 1000) },
      },
      ...rawTopics.map((topic) => ({ topic, partitions: RAW_TOPIC_PARTITIONS })),
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      log.info({ topics: wanted.map((t) => t.topic) }, 'creating topics that do not exist yet');
      await admin.createTopics(wanted.map((t) => withTopicSettings(options.kafka, t)));
    }
  } finally {
    await admin.close();
  }
}

/** The mapper's figures (bench, demo): its counters without the dead letters by reason. */
export type MapperCounts = Omit<MapperStats, 'deadLettersByReason'>;

export type MapperHandle = RoleHandle<MapperCounts>;

/** `stockline run --role mapper`: raw topics -> mappings -> canonical and dead-letter topics, exactly once. */
export const startMapper: StartRole<MapperOptions, MapperCounts> = async (options, log) => {
  const { mappings, warnings } = readMappings(options.mappingsDir, {
    reservedTopics: [...options.reservedTopics],
  });
  for (const warning of warnings) log.warn({ mappingsDir: options.mappingsDir }, warning);
  const enabled = mappings.filter((m) => m.enabled);
  const topics = [...new Set(enabled.flatMap((m) => m.topics))];
  const patterns = enabled.flatMap((m) => (m.topicPattern ? [m.topicPattern] : []));
  await ensureMapperTopics(options, topics, log);
  const stats = emptyStats();
  const process = createBatchMapper(
    enabled,
    { canonical: options.canonicalTopic, deadLetter: options.deadLetterTopic },
    stats,
    log,
  );
  const pipeline = await createPipelineFactory(options.kafka, `${options.kafka.clientId}-mapper`).start({
    groupId: options.groupId,
    topics: [...topics, ...patterns],
    transactionalIdPrefix: options.groupId,
    fromBeginning: true,
    process,
  });
  log.info(
    { mappings: enabled.map((m) => m.name), topics, canonical: options.canonicalTopic },
    'mapper running',
  );
  // stockline_consumer_lag{role="mapper"}: the raw topics' ends against the group's commits.
  const lagAdmin = createAdmin(options.kafka, `${options.kafka.clientId}-lag`);
  const lag = startLagSampler({
    role: 'mapper',
    admin: lagAdmin,
    topics: async () =>
      patterns.length === 0
        ? topics
        : [
            ...new Set([
              ...topics,
              ...(await lagAdmin.listTopics()).filter((t) => patterns.some((p) => p.test(t))),
            ]),
          ],
    positions: committedPositions(lagAdmin, options.groupId),
    log,
  });
  const report = setInterval(() => {
    const { deadLettersByReason: _byReason, ...counts } = stats;
    log.info(counts, 'mapper progress');
  }, 30000);
  report.unref();
  // Its health: the pipeline runs until stopped or until a fatal error ends it.
  let ended: RoleHealth | undefined;
  void pipeline.done.then(
    () => (ended ??= { ok: false, reason: 'the mapper stopped' }),
    (e: unknown) => (ended ??= { ok: false, reason: `the mapper failed: ${describeError(e)}` }),
  );
  return {
    done: pipeline.done,
    health: () => Promise.resolve(ended ?? { ok: true }),
    stats: () => {
      const { deadLettersByReason: _byReason, ...counts } = stats;
      return counts;
    },
    async stop() {
      ended ??= { ok: false, reason: 'the mapper stopped' };
      clearInterval(report);
      await lag.stop();
      await lagAdmin.close();
      await pipeline.stop();
    },
  };
};
