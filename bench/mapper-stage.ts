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
  /** Which code ran: 'current' (this checkout) or the label of another checkout (--base). */
  code?: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** User + system CPU of the role's process over the timed window, per event, in µs. */
  cpuMicrosPerEvent?: number;
  /** The benchmark's own process (the parent) over the same window, per event, in µs. */
  parentCpuMicrosPerEvent?: number;
  produced: number;
  deadLettered: number;
  peakRssMb: number;
}

const MAPPING = 'mappings/store-pg-sale-lines.yaml';
/** Without progress for this long the run is stuck, not slow. */
const STALL_MS = 60_000;
/**
 * How often the parent asks the role for its counters: a light report (counters and CPU, no
 * metrics) every 250 ms keeps the parent's own CPU near nothing (it used to be ~60 % of a core
 * asking for every metric every 100 ms); the timed window is exact to a quarter of a second.
 */
const POLL_MS = 250;

const parentCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

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
  /** Another checkout to run the role from (the previous commit's code), and its label. */
  code?: { root: string; label: string };
  /** Distinguishes the topics and group of several runs in one benchmark. */
  suffix?: string;
  onProgress?: (consumed: number) => void;
}): Promise<MapperResult> {
  const { admin, run, rawTopic, events, client } = input;
  const mappingsDir = benchMappings(rawTopic);
  const name = `${client}${input.suffix ?? ''}`;
  const groupId = `${run}-mapper-${name}`;
  const canonicalTopic = `${run}.canonical.${name}`;
  const deadLetterTopic = `${run}.deadletter.${name}`;
  const mapper = await RoleProcess.start(
    'mapper',
    { kafka: { client }, mapper: { mappingsDir, groupId, canonicalTopic, deadLetterTopic } },
    input.code?.root,
  );
  try {
    // Timed from the first mapped record, so that joining the group is not counted.
    let first: { at: number; consumed: number; cpu: number; parentCpu: number } | undefined;
    let last = { at: Date.now(), consumed: 0 };
    for (;;) {
      const report = await mapper.report(false, true);
      const now = performance.now();
      const consumed = figure(report, 'consumed');
      if (consumed > last.consumed) last = { at: Date.now(), consumed };
      else if (Date.now() - last.at > STALL_MS)
        throw new Error(
          `mapper (${client}) made no progress for ${STALL_MS / 1000} s at ${consumed} of ${events}`,
        );
      if (mapper.failure) throw new Error(`mapper (${client}) failed: ${mapper.failure}`);
      if (!first && consumed > 0)
        first = { at: now, consumed, cpu: report.cpuSeconds, parentCpu: parentCpuSeconds() };
      input.onProgress?.(consumed);
      if (consumed >= events && first) {
        const parentCpu = parentCpuSeconds() - first.parentCpu;
        const final = await mapper.stop();
        const seconds = (now - first.at) / 1000;
        const timed = consumed - first.consumed;
        return {
          client,
          code: input.code?.label ?? 'current',
          events: consumed,
          seconds,
          eventsPerSecond: timed / seconds,
          cpuMicrosPerEvent: ((report.cpuSeconds - first.cpu) * 1e6) / timed,
          parentCpuMicrosPerEvent: (parentCpu * 1e6) / timed,
          produced: figure(final, 'produced'),
          deadLettered: figure(final, 'deadLettered'),
          peakRssMb: final.peakRssMb,
        };
      }
      await sleep(POLL_MS);
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
