import { toKafkaMessage } from '../canonical/cloudevents-kafka.js';
import type { KafkaRecord, OutgoingRecord, PipelineBatch } from '../kafka/port.js';
import type { CompiledMapping, MapOutcome } from '../mapping/compile.js';
import { drive, type Steps } from '../mapping/steps.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import { deadLetter } from './dead-letter.js';

export interface MapperStats {
  consumed: number;
  produced: number;
  skipped: number;
  deadLettered: number;
  /** Dead letters by mapping and error code, for the metrics endpoint. */
  deadLettersByReason: Map<string, number>;
}

export function emptyStats(): MapperStats {
  return { consumed: 0, produced: 0, skipped: 0, deadLettered: 0, deadLettersByReason: new Map() };
}

export interface MapperTopics {
  canonical: string;
  deadLetter: string;
}

/**
 * Maps one partition's batch, in order. A record that cannot be mapped goes to the dead-letter
 * topic with its reason; it never stops the batch and is never dropped. Records no mapping
 * handles (wrong op, filtered, tombstones, heartbeats) are counted as skipped.
 *
 * The batch is mapped synchronously, record after record, as long as the mappings need no
 * JSONata interpreter (`mapNow`); it waits only for a record whose mapping returns a promise,
 * and goes on in order after it. The outcome counters move once per batch.
 */
export function createBatchMapper(
  mappings: CompiledMapping[],
  topics: MapperTopics,
  stats: MapperStats,
  log: Logger,
) {
  const routes = new Map<string, CompiledMapping[]>();
  const route = (topic: string): CompiledMapping[] => {
    let found = routes.get(topic);
    if (!found) {
      found = mappings.filter((m) => m.matchesTopic(topic));
      routes.set(topic, found);
    }
    return found;
  };

  // A batch whose transaction aborts is mapped again: like the stats, the counters then count
  // its records twice, which a rate over time shrugs off.
  const countDeadLetter = (mapping: string, letter: OutgoingRecord) => {
    metrics.mapped.inc({ outcome: 'dead_letter' });
    metrics.deadLetters.inc({ mapping, code: String(letter.headers['stockline.dlq.code']) });
  };

  /** Outcomes of one batch, added to the counter once at its end. */
  type Outcomes = { mapped: number; skipped: number };

  function* mapRecord(record: KafkaRecord, out: OutgoingRecord[], outcomes: Outcomes): Steps<void> {
    const candidates = route(record.topic);
    if (candidates.length === 0) {
      const letter = deadLetter(
        topics.deadLetter,
        record,
        '(none)',
        new Error(`no mapping reads topic ${record.topic}`),
      );
      out.push(letter);
      stats.deadLettered++;
      countDeadLetter('(none)', letter);
      return;
    }
    for (const mapping of candidates) {
      try {
        let outcome = mapping.mapNow(record);
        if (outcome instanceof Promise) outcome = (yield outcome) as MapOutcome;
        if (outcome.kind === 'skipped') {
          stats.skipped++;
          outcomes.skipped++;
          continue;
        }
        for (const event of outcome.events) {
          const message = toKafkaMessage(event);
          out.push({
            topic: topics.canonical,
            key: message.key,
            value: message.value,
            headers: message.headers,
          });
        }
        stats.produced += outcome.events.length;
        outcomes.mapped++;
      } catch (error) {
        const letter = deadLetter(topics.deadLetter, record, mapping.name, error);
        out.push(letter);
        stats.deadLettered++;
        const reason = `${mapping.name}|${String(letter.headers['stockline.dlq.code'])}`;
        stats.deadLettersByReason.set(reason, (stats.deadLettersByReason.get(reason) ?? 0) + 1);
        countDeadLetter(mapping.name, letter);
        log.warn(
          {
            mapping: mapping.name,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            err: (error as Error).message,
          },
          'dead-lettered an event that cannot be mapped',
        );
      }
    }
  }

  function* mapBatch(batch: PipelineBatch): Steps<OutgoingRecord[]> {
    const out: OutgoingRecord[] = [];
    const outcomes: Outcomes = { mapped: 0, skipped: 0 };
    try {
      for (const record of batch.records) {
        stats.consumed++;
        yield* mapRecord(record, out, outcomes);
      }
    } finally {
      if (outcomes.mapped > 0) metrics.mapped.inc({ outcome: 'mapped' }, outcomes.mapped);
      if (outcomes.skipped > 0) metrics.mapped.inc({ outcome: 'skipped' }, outcomes.skipped);
    }
    return out;
  }

  return async (batch: PipelineBatch): Promise<OutgoingRecord[]> => drive(mapBatch(batch));
}
