// Mapper throughput: the mapper role, in a process of its own, maps the preloaded raw topic
// from the beginning through the shipped store-pg sale-lines mapping, transactions and all.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { figure, RoleProcess } from './protocol.js';
import { TEMPLATE_TOPIC } from './preload.js';

export type KafkaClientName = 'kafkajs' | 'node-rdkafka';

export interface MapperResult {
  client: KafkaClientName;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  produced: number;
  deadLettered: number;
  peakRssMb: number;
}

const MAPPING = 'mappings/store-pg-sale-lines.yaml';
/** Without progress for this long the run is stuck, not slow. */
const STALL_MS = 60_000;

/** A mappings folder holding only the sale-lines mapping, reading the benchmark's raw topic. */
function benchMappings(rawTopic: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'stockline-bench-mappings-'));
  const text = readFileSync(MAPPING, 'utf8');
  if (!text.includes(`topic: ${TEMPLATE_TOPIC}`))
    throw new Error(`${MAPPING} no longer reads ${TEMPLATE_TOPIC}`);
  writeFileSync(
    path.join(dir, 'sale-lines.yaml'),
    text.replace(`topic: ${TEMPLATE_TOPIC}`, `topic: ${rawTopic}`),
  );
  return dir;
}

export async function mapperThroughput(input: {
  admin: Admin;
  run: string;
  rawTopic: string;
  events: number;
  client: KafkaClientName;
  onProgress?: (consumed: number) => void;
}): Promise<MapperResult> {
  const { admin, run, rawTopic, events, client } = input;
  const mappingsDir = benchMappings(rawTopic);
  const groupId = `${run}-mapper-${client}`;
  const canonicalTopic = `${run}.canonical.${client}`;
  const deadLetterTopic = `${run}.deadletter.${client}`;
  const mapper = await RoleProcess.start('mapper', {
    kafka: { client },
    mapper: { mappingsDir, groupId, canonicalTopic, deadLetterTopic },
  });
  try {
    // Timed from the first mapped record, so that joining the group is not counted.
    let first: { at: number; consumed: number } | undefined;
    let last = { at: Date.now(), consumed: 0 };
    for (;;) {
      const report = await mapper.report();
      const now = performance.now();
      const consumed = figure(report, 'consumed');
      if (consumed > last.consumed) last = { at: Date.now(), consumed };
      else if (Date.now() - last.at > STALL_MS)
        throw new Error(
          `mapper (${client}) made no progress for ${STALL_MS / 1000} s at ${consumed} of ${events}`,
        );
      if (mapper.failure) throw new Error(`mapper (${client}) failed: ${mapper.failure}`);
      if (!first && consumed > 0) first = { at: now, consumed };
      input.onProgress?.(consumed);
      if (consumed >= events && first) {
        const final = await mapper.stop();
        const seconds = (now - first.at) / 1000;
        return {
          client,
          events: consumed,
          seconds,
          eventsPerSecond: (consumed - first.consumed) / seconds,
          produced: figure(final, 'produced'),
          deadLettered: figure(final, 'deadLettered'),
          peakRssMb: final.peakRssMb,
        };
      }
      await sleep(100);
    }
  } catch (e) {
    mapper.kill();
    throw e;
  } finally {
    rmSync(mappingsDir, { recursive: true, force: true });
    await admin.deleteTopics({ topics: [canonicalTopic, deadLetterTopic] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
