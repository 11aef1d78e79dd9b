// Runs the real materializer as child processes and checks what it stored.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import { toKafkaMessage } from '../../src/canonical/cloudevents-kafka.js';
import type { CanonicalEvent } from '../../src/canonical/event.js';
import { kafkajsClient } from './kafka.js';
import { createKafkaReader } from './kafka.js';
import type { ExpectedRow } from './canonical-stream.js';
import { produceRecords } from './kafka.js';

const BIN = path.resolve('bin/stockline.js');

export interface MaterializerProcess {
  child: ChildProcess;
  /** stderr lines (pino JSON) so far. */
  log: string[];
  exited: Promise<number | null>;
}

/** `stockline run --role materializer` with config overrides in the environment. */
export function spawnMaterializer(env: Record<string, string>): MaterializerProcess {
  return spawnRole('materializer', env);
}

/** `stockline run --role <role>` with config overrides in the environment; its stderr kept in `log`. */
export function spawnRole(role: string, env: Record<string, string>): MaterializerProcess {
  const child = spawn(process.execPath, [BIN, 'run', '--role', role], {
    env: { ...process.env, STOCKLINE__LOG__LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    log.push(...lines);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, log, exited };
}

export async function killHard(p: MaterializerProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

export async function createTopic(brokers: string[], topic: string, partitions: number): Promise<void> {
  const admin = kafkajsClient({ brokers, clientId: 'stockline-test' }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Produces in order with an idempotent producer: per partition the order of `events`. */
export async function produceEvents(
  brokers: string[],
  topic: string,
  events: readonly CanonicalEvent[],
): Promise<void> {
  await produceRecords(brokers, topic, events.map(toKafkaMessage));
}

export async function endOffsets(brokers: string[], topic: string): Promise<Map<number, bigint>> {
  const admin = kafkajsClient({ brokers, clientId: 'stockline-test' }).admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

export async function storedPositions(
  db: Knex,
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const rows = await db('materializer_positions')
    .select<{ kafka_partition: number; next_offset: string }[]>('kafka_partition', 'next_offset')
    .where({ group_id: groupId, topic });
  return new Map(rows.map((r) => [r.kafka_partition, BigInt(r.next_offset)]));
}

export const sumOffsets = (m: Map<number, bigint>): bigint => [...m.values()].reduce((a, b) => a + b, 0n);

/** Waits until every partition's stored position is the topic's end; fails if a process dies. */
export async function waitCaughtUp(
  db: Knex,
  ends: Map<number, bigint>,
  groupId: string,
  topic: string,
  processes: MaterializerProcess[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await storedPositions(db, groupId, topic);
    if ([...ends].every(([p, end]) => stored.get(p) === end)) return;
    for (const p of processes) {
      if (p.child.exitCode !== null)
        throw new Error(`materializer exited with ${p.child.exitCode}:\n${p.log.slice(-20).join('\n')}`);
    }
    if (Date.now() > deadline)
      throw new Error(
        `not caught up after ${timeoutMs} ms: stored ${JSON.stringify([...stored].map(([p, o]) => [p, String(o)]))}, ends ${JSON.stringify([...ends].map(([p, o]) => [p, String(o)]))}`,
      );
    await sleep(100);
  }
}

export interface StoredRow {
  sku: string;
  location: string;
  on_hand: string;
  version: string;
  negative: boolean;
  level_as_of: Date | null;
}

export async function stockRows(db: Knex, skus: string[]): Promise<Map<string, StoredRow>> {
  const rows = await db('stock')
    .select<StoredRow[]>(
      'sku',
      'location',
      db.raw('on_hand::text AS on_hand'),
      'version',
      'negative',
      'level_as_of',
    )
    .whereIn('sku', skus);
  return new Map(rows.map((r) => [`${r.sku}@${r.location}`, r]));
}

/** Every difference between the stored rows and the expected ones, as readable lines. */
export function differences(stored: Map<string, StoredRow>, expected: Map<string, ExpectedRow>): string[] {
  const diffs: string[] = [];
  for (const [key, e] of expected) {
    const s = stored.get(key);
    if (!s) {
      diffs.push(`${key}: missing (expected ${e.onHand.toFixed()})`);
      continue;
    }
    const onHand = new Decimal(s.on_hand);
    if (!onHand.equals(e.onHand)) diffs.push(`${key}: on_hand ${s.on_hand}, expected ${e.onHand.toFixed()}`);
    if (Number(s.version) !== e.version) diffs.push(`${key}: version ${s.version}, expected ${e.version}`);
    if (s.negative !== (e.onHand.isNegative() && !e.onHand.isZero()))
      diffs.push(`${key}: negative ${s.negative}, on hand ${e.onHand.toFixed()}`);
    if ((s.level_as_of?.getTime() ?? null) !== e.levelAsOf)
      diffs.push(`${key}: level_as_of ${s.level_as_of?.toISOString()}`);
  }
  for (const key of stored.keys()) if (!expected.has(key)) diffs.push(`${key}: not expected`);
  return diffs;
}

/** The last row per key on the stock topic (highest version), read to the topic's end. */
export async function stockTopicRows(
  brokers: string[],
  topic: string,
): Promise<Map<string, { onHand: string; version: string }>> {
  const ends = await endOffsets(brokers, topic);
  const pending = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
  const rows = new Map<string, { onHand: string; version: string }>();
  if (pending.size === 0) return rows;
  await createKafkaReader({ brokers, clientId: 'stockline-test' }).read({
    topics: [topic],
    fromBeginning: true,
    signal: AbortSignal.timeout(60_000),
    onRecord: (record) => {
      const value = JSON.parse(record.value!.toString('utf8')) as { onHand: string; version: string };
      const key = record.key!.toString('utf8');
      const known = rows.get(key);
      if (!known || BigInt(value.version) >= BigInt(known.version)) rows.set(key, value);
      if (BigInt(record.offset) + 1n >= ends.get(record.partition)!) pending.delete(record.partition);
      return pending.size > 0;
    },
  });
  return rows;
}
