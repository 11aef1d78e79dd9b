// The mapper's options, compiled once from its config sections (src/service/options.ts says how).
import type { StocklineConfig } from '../config/schema.js';
import type { ReservedTopic } from '../mapping/topic-checks.js';
import {
  deepFreeze,
  frozenCopy,
  refuseImpossible,
  sameTopicRefusals,
  topicSettingsRefusal,
} from '../service/options.js';

/**
 * What the mapper reads from the configuration: its own section, the Kafka section, and the
 * stock topic the materializer writes (no mapping may read it, and the mapper must not write it).
 */
export type MapperSections = Pick<StocklineConfig, 'mapper' | 'kafka'> & {
  materializer: Pick<StocklineConfig['materializer'], 'stockTopic'>;
};

export interface MapperOptions {
  readonly kafka: Readonly<StocklineConfig['kafka']>;
  readonly mappingsDir: string;
  /** Consumer group, and the prefix of its transactional ids. */
  readonly groupId: string;
  readonly canonicalTopic: string;
  readonly deadLetterTopic: string;
  /** Partitions of the canonical and dead-letter topics when the mapper creates them. */
  readonly canonicalPartitions: number;
  /** The topics stockline writes, which no mapping may read. */
  readonly reservedTopics: readonly ReservedTopic[];
}

export function compileMapperOptions(config: Readonly<MapperSections>): MapperOptions {
  const { mapper, kafka, materializer } = config;
  refuseImpossible('mapper', [
    ...sameTopicRefusals([
      { key: 'mapper.canonicalTopic', topic: mapper.canonicalTopic, holds: 'canonical events' },
      { key: 'mapper.deadLetterTopic', topic: mapper.deadLetterTopic, holds: 'dead letters' },
      { key: 'materializer.stockTopic', topic: materializer.stockTopic, holds: 'stock rows' },
    ]),
    topicSettingsRefusal(kafka),
  ]);
  return deepFreeze({
    kafka: frozenCopy(kafka),
    mappingsDir: mapper.mappingsDir,
    groupId: mapper.groupId,
    canonicalTopic: mapper.canonicalTopic,
    deadLetterTopic: mapper.deadLetterTopic,
    canonicalPartitions: mapper.canonicalPartitions,
    reservedTopics: reservedTopicsOf(config),
  });
}

/**
 * The topics stockline writes under this configuration, which no mapping may read. Cheap to
 * import (no mapping engine), as every role's options are: the registry imports them all.
 */
export function reservedTopicsOf(config: Readonly<MapperSections>): ReservedTopic[] {
  return [
    { topic: config.mapper.canonicalTopic, what: 'the canonical topic (mapper.canonicalTopic)' },
    { topic: config.mapper.deadLetterTopic, what: 'the dead-letter topic (mapper.deadLetterTopic)' },
    { topic: config.materializer.stockTopic, what: 'the stock topic (materializer.stockTopic)' },
  ];
}
