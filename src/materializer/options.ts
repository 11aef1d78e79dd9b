// The materializer's options, compiled once from its config sections (src/service/options.ts says how).
import type { StocklineConfig } from '../config/schema.js';
import {
  deepFreeze,
  frozenCopy,
  refuseImpossible,
  sameTopicRefusals,
  topicSettingsRefusal,
  type Refusal,
} from '../service/options.js';

/**
 * What the materializer reads from the configuration: its own section, the stock database and
 * Kafka sections, and from the mapper's section the canonical topic (when
 * materializer.canonicalTopic is empty) and its partitions (to create it if the mapper has not).
 */
export type MaterializerSections = Pick<StocklineConfig, 'materializer' | 'stockDb' | 'kafka'> & {
  mapper: Pick<StocklineConfig['mapper'], 'canonicalTopic' | 'canonicalPartitions'>;
};

export interface MaterializerOptions {
  readonly kafka: Readonly<StocklineConfig['kafka']>;
  readonly stockDb: Readonly<StocklineConfig['stockDb']>;
  readonly groupId: string;
  /** The topic of canonical events it applies. */
  readonly canonicalTopic: string;
  /** The config key that set canonicalTopic, for messages. */
  readonly canonicalTopicKey: 'materializer.canonicalTopic' | 'mapper.canonicalTopic';
  /** Partitions of the canonical and stock topics when the materializer creates them. */
  readonly partitions: number;
  readonly stockTopic: string;
  readonly maxBatchEvents: number;
  /** 0: the ledger never forgets. */
  readonly ledgerHorizonDays: number;
  /** Partitions applied at the same time, each on its own connection of the pool. */
  readonly concurrency: number;
}

function concurrencyRefusal(concurrency: number, poolMax: number): Refusal | undefined {
  if (concurrency <= poolMax) return undefined;
  return {
    keys: ['materializer.concurrency', 'stockDb.poolMax'],
    message: `materializer.concurrency (${concurrency}) exceeds stockDb.poolMax (${poolMax}): each partition applied at the same time needs its own connection; raise stockDb.poolMax or lower materializer.concurrency`,
  };
}

export function compileMaterializerOptions(config: Readonly<MaterializerSections>): MaterializerOptions {
  const { materializer, stockDb, kafka, mapper } = config;
  const canonicalTopicKey = materializer.canonicalTopic
    ? 'materializer.canonicalTopic'
    : 'mapper.canonicalTopic';
  const canonicalTopic = materializer.canonicalTopic || mapper.canonicalTopic;
  refuseImpossible('materializer', [
    concurrencyRefusal(materializer.concurrency, stockDb.poolMax),
    ...sameTopicRefusals([
      { key: canonicalTopicKey, topic: canonicalTopic, holds: 'canonical events' },
      { key: 'materializer.stockTopic', topic: materializer.stockTopic, holds: 'stock rows' },
    ]),
    topicSettingsRefusal(kafka),
  ]);
  return deepFreeze({
    kafka: frozenCopy(kafka),
    stockDb: frozenCopy(stockDb),
    groupId: materializer.groupId,
    canonicalTopic,
    canonicalTopicKey,
    partitions: mapper.canonicalPartitions,
    stockTopic: materializer.stockTopic,
    maxBatchEvents: materializer.maxBatchEvents,
    ledgerHorizonDays: materializer.ledgerHorizonDays,
    concurrency: materializer.concurrency,
  });
}
