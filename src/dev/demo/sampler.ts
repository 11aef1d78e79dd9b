// Gathers what the demo shows: the simulator's counters, the mapper's and the MQ replicator's
// stats, both groups' lag from Kafka, and the stock of the run's most popular items from the
// stock table.
import type { KafkaAdmin } from '../../kafka/port.js';
import type { MapperCounts } from '../../mapper/service.js';
import type { StockReader } from '../../stock/reads.js';
import type { RunProgress } from '../simulator/runner.js';
import { skuOf } from '../simulator/world.js';
import { SOURCE_NAMES, type SourceName } from '../simulator/writes.js';
import {
  furthest,
  groupLag,
  lagBy,
  readCommitted,
  readTopicEnds,
  type GroupLag,
  type TopicOffsets,
} from '../../kafka/consumer-lag.js';
import { RateMeter } from './rates.js';
import type { DemoSnapshot, PopularItem } from './view.js';

/** Raw topics by source: Debezium's topic prefixes, and the MQ replicator's `mq.` topics. */
const TOPIC_PREFIXES: Record<SourceName, string> = {
  'store-pg': 'store-pg.',
  'store-maria': 'store-maria.',
  sap: 'sap.',
  mainframe: 'mq.',
};

export function sourceOfTopic(topic: string): SourceName | undefined {
  return SOURCE_NAMES.find((s) => topic.startsWith(TOPIC_PREFIXES[s]));
}

/** The topics a mapper reads: those its mappings name, and those matching their patterns. */
export function mapperTopics(
  mappings: readonly { enabled: boolean; topics: string[]; topicPattern?: RegExp }[],
  existing: readonly string[],
): string[] {
  const enabled = mappings.filter((m) => m.enabled);
  const named = enabled.flatMap((m) => m.topics);
  const matched = existing.filter((t) => enabled.some((m) => m.topicPattern?.test(t)));
  return [...new Set([...named, ...matched])].sort();
}

export interface SamplerInput {
  runId: string;
  seed: number;
  targetRate: number;
  durationMs?: number;
  popular: number;
  admin: KafkaAdmin;
  /** The mapper group and the topics it reads (patterns resolved against `listTopics`). */
  mapper: { groupId: string; topics: (existing: string[]) => string[]; stats?: () => MapperCounts };
  /** The MQ replicator's figures, when it runs (its queue is the mainframe's). */
  replicator?: { stats: () => ReplicatorFigures };
  /** `positions`: the offsets the materializer stored with the stock (more exact than its Kafka commits). */
  materializer: { groupId: string; topic: string; positions?: () => Promise<TopicOffsets> };
  stock: StockReader;
}

/** What the demo shows of the MQ replicator (src/replicator/service.ts, ReplicatorStats). */
export interface ReplicatorFigures {
  messages: number;
  queueDepth: number;
  deadLetters: number;
  recoveryDiscards: number;
}

const sinceStart = (p: RunProgress | undefined) => p?.elapsedMs ?? 0;
const problemOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class DemoSampler {
  private readonly written = new RateMeter<SourceName>();
  private readonly captured = new RateMeter<SourceName>();
  private readonly mapped = new RateMeter<'in' | 'out'>();
  private readonly replicated = new RateMeter<'messages'>();

  constructor(private readonly input: SamplerInput) {}

  async sample(progress: RunProgress | undefined, nowMs = Date.now()): Promise<DemoSnapshot> {
    const { input } = this;
    if (progress) this.written.add(nowMs, progress.bySource);
    const stats = input.mapper.stats?.();
    if (stats) this.mapped.add(nowMs, { in: stats.consumed, out: stats.produced });
    const replicator = input.replicator?.stats();
    if (replicator) this.replicated.add(nowMs, { messages: replicator.messages });

    const [kafka, popular] = await Promise.allSettled([this.readLag(nowMs), this.readPopular()]);
    const lag = kafka.status === 'fulfilled' ? kafka.value : undefined;
    const lagBySource = lag ? lagBy(lag.mapper, sourceOfTopic) : undefined;
    return {
      runId: input.runId,
      seed: input.seed,
      targetRate: input.targetRate,
      ...(input.durationMs === undefined ? {} : { durationMs: input.durationMs }),
      elapsedMs: sinceStart(progress),
      behindMs: progress?.behindMs ?? 0,
      sources: SOURCE_NAMES.map((source) => ({
        source,
        written: progress?.bySource[source] ?? 0,
        writtenPerSecond: this.written.rate(source),
        ...(source === 'mainframe' && replicator ? { queued: replicator.queueDepth } : {}),
        ...this.capturedRate(source, lag !== undefined, replicator !== undefined),
        ...(lagBySource ? { mapperLag: lagBySource.get(source) ?? 0n } : {}),
      })),
      ...(stats
        ? {
            mapper: {
              inPerSecond: this.mapped.rate('in'),
              outPerSecond: this.mapped.rate('out'),
              deadLetters: stats.deadLettered,
            },
          }
        : {}),
      ...(replicator
        ? {
            replicator: {
              perSecond: this.replicated.rate('messages'),
              queueDepth: replicator.queueDepth,
              deadLetters: replicator.deadLetters,
              recoveryDiscards: replicator.recoveryDiscards,
            },
          }
        : {}),
      ...(lag ? { mapperLag: lag.mapper.total, materializerLag: lag.materializer.total } : {}),
      ...(kafka.status === 'rejected' ? { lagProblem: problemOf(kafka.reason) } : {}),
      popular: popular.status === 'fulfilled' ? popular.value : [],
      ...(popular.status === 'rejected' ? { stockProblem: problemOf(popular.reason) } : {}),
    };
  }

  /**
   * Records arriving on the source's raw topics per second. The mainframe's come from the MQ
   * replicator's own count when it runs: its topics are transactional, and their end offsets also
   * count a commit marker per transaction.
   */
  private capturedRate(
    source: SourceName,
    lagKnown: boolean,
    replicating: boolean,
  ): { capturedPerSecond?: number } {
    if (source === 'mainframe' && replicating) return { capturedPerSecond: this.replicated.rate('messages') };
    return lagKnown ? { capturedPerSecond: this.captured.rate(source) } : {};
  }

  /** Both groups' lag; on the way, how many records each source's raw topics hold (for their rate). */
  private async readLag(nowMs: number): Promise<{ mapper: GroupLag; materializer: GroupLag }> {
    const { admin, mapper, materializer } = this.input;
    const topics = mapper.topics(await admin.listTopics());
    const raw = await readTopicEnds(admin, [...topics, materializer.topic]);
    const canonicalEnds = new Map([
      [materializer.topic, raw.ends.get(materializer.topic) ?? new Map<number, bigint>()],
    ]);
    raw.ends.delete(materializer.topic);
    const [mapperCommitted, materializerCommitted, stored] = await Promise.all([
      readCommitted(admin, mapper.groupId, [...raw.ends.keys()]),
      readCommitted(admin, materializer.groupId, [materializer.topic]),
      materializer.positions?.() ?? new Map<string, Map<number, bigint>>(),
    ]);
    const onTopics = Object.fromEntries(SOURCE_NAMES.map((s) => [s, 0])) as Record<SourceName, number>;
    for (const [topic, partitions] of raw.ends) {
      const source = sourceOfTopic(topic);
      if (source) for (const end of partitions.values()) onTopics[source] += Number(end);
    }
    this.captured.add(nowMs, onTopics);
    return {
      mapper: groupLag(raw.ends, mapperCommitted, raw.starts),
      materializer: groupLag(canonicalEnds, furthest(materializerCommitted, stored), raw.starts),
    };
  }

  private async readPopular(): Promise<PopularItem[]> {
    const { runId, popular, stock: reader } = this.input;
    const skus = Array.from({ length: popular }, (_, i) => skuOf(runId, i));
    return Promise.all(
      skus.map(async (sku) => {
        const stock = await reader.item(sku);
        return {
          sku,
          unit: stock?.locations[0]?.unit ?? '',
          byLocation: Object.fromEntries((stock?.locations ?? []).map((l) => [l.location, l.onHand])),
          total: stock?.total.onHand ?? '0',
        };
      }),
    );
  }
}
