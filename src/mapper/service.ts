import type { StocklineConfig } from '../config/schema.js';
import { createAdmin, createPipelineFactory } from '../kafka/clients.js';
import { committedPositions, startLagSampler } from '../observability/lag-metrics.js';
import type { TopicSpec } from '../kafka/port.js';
import { withTopicSettings } from '../kafka/topic-settings.js';
import type { Logger } from '../observability/logger.js';
import type { RoleHandle, StartRole } from '../service/role.js';
import { createBatchMapper, emptyStats, type MapperStats } from './mapper.js';
import { readMappings, reservedTopics } from './mapping-files.js';

/** Partitions of a raw topic the mapper creates because no producer has written it yet. */
const RAW_TOPIC_PARTITIONS = 3;

/**
 * Creates the canonical and dead-letter topics, and the raw topics the mappings name that do
 * not exist yet (a queue the replicator has not written to): a consumer cannot subscribe to a
 * topic that does not exist, and it must not miss the first messages.
 */
export async function ensureMapperTopics(
  config: Readonly<StocklineConfig>,
  rawTopics: string[],
  log: Logger,
): Promise<void> {
  const admin = createAdmin(config.kafka, `${config.kafka.clientId}-admin`);
  try {
    const existing = new Set(await admin.listTopics());
    const wanted: TopicSpec[] = [
      { topic: config.mapper.canonicalTopic, partitions: config.mapper.canonicalPartitions },
      // Dead letters are kept a month: long enough to fix a mapping and replay them.
      {
        topic: config.mapper.deadLetterTopic,
        partitions: 1,
        config: { 'retention.ms': String(30 * 24 * 3600 * 1000) },
      },
      ...rawTopics.map((topic) => ({ topic, partitions: RAW_TOPIC_PARTITIONS })),
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      log.info({ topics: wanted.map((t) => t.topic) }, 'creating topics that do not exist yet');
      await admin.createTopics(wanted.map((t) => withTopicSettings(config.kafka, t)));
    }
  } finally {
    await admin.close();
  }
}

export interface MapperHandle extends RoleHandle {
  stats: MapperStats;
}

export async function startMapperWith(config: Readonly<StocklineConfig>, log: Logger): Promise<MapperHandle> {
  const { mappings, warnings } = readMappings(config.mapper.mappingsDir, reservedTopics(config));
  for (const warning of warnings) log.warn({ mappingsDir: config.mapper.mappingsDir }, warning);
  const enabled = mappings.filter((m) => m.enabled);
  const topics = [...new Set(enabled.flatMap((m) => m.topics))];
  const patterns = enabled.flatMap((m) => (m.topicPattern ? [m.topicPattern] : []));
  await ensureMapperTopics(config, topics, log);
  const stats = emptyStats();
  const process = createBatchMapper(
    enabled,
    { canonical: config.mapper.canonicalTopic, deadLetter: config.mapper.deadLetterTopic },
    stats,
    log,
  );
  const pipeline = await createPipelineFactory(config.kafka, `${config.kafka.clientId}-mapper`).start({
    groupId: config.mapper.groupId,
    topics: [...topics, ...patterns],
    transactionalIdPrefix: config.mapper.groupId,
    fromBeginning: true,
    process,
  });
  log.info(
    { mappings: enabled.map((m) => m.name), topics, canonical: config.mapper.canonicalTopic },
    'mapper running',
  );
  // stockline_consumer_lag{role="mapper"}: the raw topics' ends against the group's commits.
  const lagAdmin = createAdmin(config.kafka, `${config.kafka.clientId}-lag`);
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
    positions: committedPositions(lagAdmin, config.mapper.groupId),
    log,
  });
  const report = setInterval(() => {
    const { deadLettersByReason: _byReason, ...counts } = stats;
    log.info(counts, 'mapper progress');
  }, 30000);
  report.unref();
  return {
    stats,
    done: pipeline.done,
    async stop() {
      clearInterval(report);
      await lag.stop();
      await lagAdmin.close();
      await pipeline.stop();
    },
  };
}

export const startMapper: StartRole = startMapperWith;
