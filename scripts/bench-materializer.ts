// npm run bench:materializer [-- --events 200000 --keys 200000 --sizes 100,1000,5000 --workers 1,3
//                                --e2e | --e2e-only [--e2e-sizes 5000] [--distributions uniform,skewed]
//                                [--json result.json]]
//
// Events per second the materializer applies to the stack's PostgreSQL, per batch size.
// "apply": decode + per-key plan + the one-statement write (stock rows, three totals, applied
// event ids, position) of each batch, against a stock table that already holds `keys` rows, as in
// steady state; `workers` partitions applied at the same time, as the role does.
// Keys are drawn uniformly (every event of a batch on another row: the worst case) and skewed
// (log-uniform ranks: a few hot SKUs, a long tail, as sales are).
// "end to end" (--e2e): the materializer role in this process, reading a topic of
// mapper.canonicalPartitions partitions (preloaded, not measured) from Kafka, writing PostgreSQL
// and publishing to the stock topic; per distribution and maxBatchEvents (default: the
// configured one); --role-process runs the role as its own process (`stockline run`) and reports
// that process's peak RSS. --json writes the first end-to-end result as JSON:
// { events, seconds, eventsPerSecond, keys, batchSizes, peakRssMb, ... }, e.g.
//   tsx scripts/bench-materializer.ts --e2e-only --events 1000000 --json out.json
// --keep-topic leaves the first end-to-end topic (its name in the JSON's `topic`) for a peer to
// read the same events (bench/peer-stage.ts), which then deletes it.
// Rows, positions, applied event ids and topics the benchmark creates are removed at the end.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import type { Producer } from 'kafkajs';
import type { Knex } from 'knex';
import { toKafkaMessage, type CanonicalMessage } from '../src/canonical/cloudevents-kafka.js';
import { LEVEL, MOVEMENT, type CanonicalEvent } from '../src/canonical/event.js';
import { eventId, sortable, stockKey } from '../src/canonical/identity.js';
import { loadConfig } from '../src/config/load.js';
import { stackSecretEnv, withStackSecrets } from '../src/dev/stack/dev-secrets.js';
import type { StocklineConfig } from '../src/config/schema.js';
import { createKafkaAdmin, kafkajsClient } from '../src/kafka/kafkajs-admin.js';
import { decodeBatch } from '../src/materializer/decode.js';
import type { RawMessage } from '../src/materializer/event.js';
import { planBatch } from '../src/materializer/plan.js';
import type { ApplierStats } from '../src/materializer/batch-applier.js';
import { startRole } from '../src/roles/registry.js';
import { createLogger } from '../src/observability/logger.js';
import { createStockDb } from '../src/stock/db.js';
import { migrateStockDb } from '../src/stock/migrate.js';
import { forgetLedger, postgresStockStore } from '../src/stock/postgres/stock-store.js';
import type { StockStore } from '../src/stock/store.js';
import { TABLES } from '../src/stock/tables.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    keys: { type: 'string', default: '200000' },
    sizes: { type: 'string', default: '100,1000,5000' },
    workers: { type: 'string', default: '1,3' },
    e2e: { type: 'boolean', default: false },
    'e2e-only': { type: 'boolean', default: false },
    'e2e-sizes': { type: 'string' },
    distributions: { type: 'string' },
    json: { type: 'string' },
    'cpu-profile': { type: 'string' },
    'role-process': { type: 'boolean', default: false },
    'keep-topic': { type: 'boolean', default: false },
  },
});
const EVENTS = Number(args.events);
const KEYS = Number(args.keys);
const SIZES = args.sizes.split(',').map(Number);
const WORKERS = args.workers.split(',').map(Number);
type Distribution = 'uniform' | 'skewed';
const DISTRIBUTIONS = (args.distributions ?? 'uniform,skewed').split(',') as Distribution[];
if (DISTRIBUTIONS.some((d) => d !== 'uniform' && d !== 'skewed'))
  throw new Error('--distributions takes uniform and/or skewed');
const LOCATIONS = 5;

// A recognisable prefix: the rows of an interrupted run can be found and removed.
const run = `BENCH${randomBytes(3).toString('hex')}`;
// The dev path: the stack's stock database password (src/dev/stack/dev-secrets.ts).
const loaded = loadConfig();
Object.assign(process.env, stackSecretEnv(loaded));
const config = withStackSecrets(loaded);
const log = createLogger({ level: 'warn' });
/** The role as configured (maxBatchEvents), unless --e2e-sizes says otherwise. */
const E2E_SIZES = (args['e2e-sizes'] ?? String(config.materializer.maxBatchEvents)).split(',').map(Number);
/** Uniform keys (every event on another row) are the worst case; the default end to end. */
const E2E_DISTRIBUTIONS = (args.distributions ?? 'uniform').split(',') as Distribution[];

/** Random movements (1% levels) over KEYS keys, in source order per system. */
function* events(
  count: number,
  seed: number,
  distribution: Distribution = 'uniform',
): Generator<CanonicalEvent> {
  let x = seed;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  // Recent: events older than the ledger's horizon (materializer.ledgerHorizonDays) are not applied.
  const start = Date.now() - 15 * 86_400_000;
  for (let i = 0; i < count; i++) {
    // Skewed: rank r with probability ~ 1/r, spread over the keys by a multiplicative hash.
    const k =
      distribution === 'uniform'
        ? Math.floor(rand() * KEYS)
        : Number((BigInt(Math.floor(KEYS ** rand()) - 1) * 2654435761n) % BigInt(KEYS));
    const sku = `${run}-${Math.floor(k / LOCATIONS)}`;
    const location = `${run}L${k % LOCATIONS}`;
    const level = rand() < 0.01;
    const sequence = sortable(seed * 10_000_000 + i);
    const occurredAt = new Date(start + seed * 86_400_000 + i * 10).toISOString();
    yield {
      id: benchEventId(seed, i),
      source: '/stockline/bench/bench.sale_lines',
      type: level ? LEVEL : MOVEMENT,
      time: occurredAt,
      subject: stockKey(sku, location),
      data: {
        sku,
        location,
        quantity: level
          ? String(Math.floor(rand() * 100))
          : `${Math.floor(rand() * 21) - 10}.${Math.floor(rand() * 100)}`,
        unit: 'EA',
        reason: level ? 'count' : 'sale',
        occurredAt,
        source: { system: 'bench', entity: 'bench.sale_lines', position: sequence, sequence },
        mapping: 'bench',
      },
    };
  }
}

/** Ids derive from the source position; the run id keeps runs from passing for re-deliveries. */
function benchEventId(seed: number, i: number): string {
  return eventId('bench', 'bench.sale_lines', `${run}/${sortable(seed * 10_000_000 + i)}`, 'bench', 0);
}

function rawMessages(list: Iterable<CanonicalEvent>): RawMessage[] {
  let offset = 0;
  return [...list].map((e) => {
    const m = toKafkaMessage(e);
    return {
      offset: String(offset++),
      key: Buffer.from(m.key),
      value: Buffer.from(m.value),
      headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)])),
    };
  });
}

/** Applies messages in batches of `size` as the materializer does; returns seconds per batch. */
async function applyAll(
  store: StockStore,
  messages: RawMessage[],
  size: number,
  partition: number,
): Promise<number[]> {
  const ref = { groupId: `bench-${run}`, topic: `bench.${run}`, partition };
  let next = (await store.claimPosition(ref, 0n)).next;
  const durations: number[] = [];
  for (let i = 0; i < messages.length; i += size) {
    const started = process.hrtime.bigint();
    const chunk = messages.slice(i, i + size);
    const { events: decoded, rejected } = decodeBatch(chunk);
    let plan = planBatch(decoded, rejected);
    const end = next + BigInt(chunk.length);
    const batch = () => ({ partition: ref, expectedNext: next, next: end, published: end, ...plan });
    let result = await store.applyBatch(batch());
    if (result.status === 'guard-failed') {
      plan = planBatch(decoded, rejected, result.starts);
      result = await store.applyBatch(batch());
    }
    if (result.status !== 'applied') throw new Error(`batch not applied: ${result.status}`);
    next = end;
    durations.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return durations;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function benchApply(db: Knex): Promise<void> {
  const store = postgresStockStore(db);
  console.log(`filling the stock table with ${KEYS} keys (not measured) ...`);
  const fill: CanonicalEvent[] = [];
  for (let k = 0; k < KEYS; k++) {
    const sku = `${run}-${Math.floor(k / LOCATIONS)}`;
    const location = `${run}L${k % LOCATIONS}`;
    const sequence = sortable(k);
    fill.push({
      id: eventId('bench-fill', 'fill', `${run}/${sequence}`, 'bench', 0),
      source: '/stockline/bench-fill/fill',
      type: LEVEL,
      time: '2024-04-30T00:00:00.000Z',
      subject: stockKey(sku, location),
      data: {
        sku,
        location,
        quantity: '100',
        unit: 'EA',
        reason: 'snapshot',
        occurredAt: '2024-04-30T00:00:00.000Z',
        source: { system: 'bench-fill', entity: 'fill', position: sequence, sequence },
        mapping: 'bench',
      },
    });
  }
  await applyAll(store, rawMessages(fill), 5000, 99);

  const table = new Table({
    head: [
      'keys drawn',
      'batch size',
      'workers',
      'events',
      'seconds',
      'events/s',
      'batch p50 ms',
      'batch p95 ms',
    ],
  });
  let partition = 0;
  for (const distribution of DISTRIBUTIONS) {
    for (const size of SIZES) {
      for (const workers of WORKERS) {
        // Small batches take long per event; fewer of them say as much.
        const count = Math.min(EVENTS, size * 400);
        const byWorker: RawMessage[][] = Array.from({ length: workers }, () => []);
        const messages = rawMessages(events(count, ++partition, distribution));
        // Like Kafka: a key always goes to the same partition, so to the same worker.
        for (const m of messages) byWorker[hash(m.key!.toString()) % workers]!.push(m);
        const started = process.hrtime.bigint();
        const durations = (
          await Promise.all(byWorker.map((list, w) => applyAll(store, list, size, partition * 10 + w)))
        ).flat();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const sorted = [...durations].sort((a, b) => a - b);
        table.push([
          distribution,
          size,
          workers,
          count,
          seconds.toFixed(2),
          Math.round(count / seconds).toLocaleString('en'),
          (percentile(sorted, 0.5) * 1000).toFixed(1),
          (percentile(sorted, 0.95) * 1000).toFixed(1),
        ]);
        console.log(
          `  ${distribution}, batch size ${size}, ${workers} worker(s): ${Math.round(count / seconds)} events/s`,
        );
      }
    }
  }
  console.log(
    `\napply (decode + plan + one statement per batch), ${KEYS} keys in the table, PostgreSQL ${await pgVersion(db)}:`,
  );
  console.log(table.toString());
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h;
}

interface EndToEndResult {
  /** The topic the events were preloaded onto (deleted unless --keep-topic kept the first). */
  topic: string;
  partitions: number;
  distribution: Distribution;
  maxBatchEvents: number;
  events: number;
  /** From the first commit to the last partition caught up: the rate of the role at work. */
  seconds: number;
  eventsPerSecond: number;
  /** From starting the role to its first commit (group join, position reads). */
  startupSeconds: number;
  preloadSeconds: number;
  batches: number;
  /** CPU seconds of this process (the role, and the benchmark's polling) from start to stop. */
  cpuSeconds: number;
  /** Whether the role ran as its own process (--role-process): then rss is that process's peak. */
  roleProcess: boolean;
  peakMbWhileApplying: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
  /** Where the role's time went, in seconds summed over the partitions applied at once. */
  phases: { decode: number; plan: number; store: number; publish: number; publishWait: number };
}

/** Partition of a key on the benchmark's topic: stable per key, like Kafka's partitioner. */
const partitionCache = new Map<string, number>();
function partitionOf(key: string, partitions: number): number {
  let p = partitionCache.get(key);
  if (p === undefined) partitionCache.set(key, (p = hash(key) % partitions));
  return p;
}

/**
 * Writes `count` events to a new topic, generated and sent in bounded chunks (a million events
 * never sit in memory at once); each key on one partition, in generation order.
 */
async function preload(
  producer: Producer,
  topic: string,
  partitions: number,
  count: number,
  seed: number,
  distribution: Distribution,
): Promise<void> {
  // ~1,000 messages per partition and request: under the broker's 1 MiB per record batch.
  const chunk = 1000 * partitions;
  let messages: (CanonicalMessage & { partition: number })[] = [];
  const flush = async () => {
    if (messages.length > 0) await producer.send({ topic, acks: -1, messages });
    messages = [];
  };
  for (const e of events(count, seed, distribution)) {
    const m = toKafkaMessage(e);
    messages.push({ ...m, partition: partitionOf(m.key, partitions) });
    if (messages.length >= chunk) await flush();
  }
  await flush();
}

async function benchEndToEnd(db: Knex): Promise<EndToEndResult[]> {
  const results: EndToEndResult[] = [];
  const admin = createKafkaAdmin({ brokers: config.kafka.brokers, clientId: 'stockline-bench' });
  const partitions = config.mapper.canonicalPartitions;
  const topics: string[] = [];
  try {
    let seed = 100;
    for (const distribution of E2E_DISTRIBUTIONS)
      for (const size of E2E_SIZES) {
        const topic = `bench.e2e.${run}.${distribution}.${size}`;
        const groupId = `bench-e2e-${run}-${distribution}-${size}`;
        await admin.createTopics([{ topic, partitions }]);
        topics.push(topic);
        const preloadStarted = Date.now();
        ++seed;
        // A producer per topic: one that outlived a deleted topic refreshed its metadata and the
        // broker (auto.create.topics.enable) created the topic again.
        const producer = kafkajsClient({
          brokers: config.kafka.brokers,
          clientId: 'stockline-bench',
        }).producer({
          idempotent: true,
          maxInFlightRequests: 1,
          retry: { retries: Number.MAX_SAFE_INTEGER },
        });
        await producer.connect();
        try {
          await preload(producer, topic, partitions, EVENTS, seed, distribution);
        } finally {
          await producer.disconnect();
        }
        const preloadSeconds = (Date.now() - preloadStarted) / 1000;
        console.log(
          `  preloaded ${EVENTS} events in ${preloadSeconds.toFixed(1)} s (peak RSS so far ${peakRssMb()} MB)`,
        );
        const ends = await admin.endOffsets(topic);
        const total = [...ends.values()].reduce((a, b) => a + b, 0n);
        const roleConfig: StocklineConfig = {
          ...config,
          mapper: { ...config.mapper, canonicalTopic: topic },
          materializer: {
            ...config.materializer,
            groupId,
            stockTopic: `bench.stock.${run}`,
            maxBatchEvents: size,
          },
        };
        const started = Date.now();
        const memory = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
        const sampler = setInterval(() => {
          const m = process.memoryUsage();
          for (const k of Object.keys(memory) as (keyof typeof memory)[])
            memory[k] = Math.max(memory[k], Math.round(m[k] / 2 ** 20));
        }, 200);
        const cpuBefore = process.cpuUsage();
        const profiler = args['cpu-profile'] && !args['role-process'] ? new Session() : undefined;
        if (profiler) {
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.start');
        }
        const role = args['role-process'] ? spawnRole(roleConfig) : await inProcessRole(roleConfig);
        let first: number | undefined;
        let ended: Awaited<ReturnType<RunningRole['stop']>>;
        try {
          for (;;) {
            const rows = await db(TABLES.positions)
              .sum<{ s: string | null }[]>('next_offset as s')
              .where({ group_id: groupId, topic });
            const done = BigInt(rows[0]?.s ?? 0);
            if (done > 0n) first ??= Date.now();
            if (done >= total) break;
            await Promise.race([sleep(10), role.done]);
          }
        } finally {
          ended = await role.stop();
          clearInterval(sampler);
          if (profiler) {
            // --cpu-profile: the role's run only (not the preload), for Chrome DevTools or speedscope.
            const { profile } = await profiler.post('Profiler.stop');
            await writeFile(
              `${args['cpu-profile']}.${distribution}.${size}.cpuprofile`,
              JSON.stringify(profile),
            );
            profiler.disconnect();
          }
        }
        const stats = ended.stats;
        const cpu = process.cpuUsage(cpuBefore);
        const cpuSeconds = ended.cpuSeconds ?? Math.round((cpu.user + cpu.system) / 1e4) / 100;
        const seconds = (Date.now() - first!) / 1000;
        const toSeconds = (ms: number) => Math.round(ms) / 1000;
        results.push({
          topic,
          partitions,
          distribution,
          maxBatchEvents: size,
          events: EVENTS,
          seconds,
          eventsPerSecond: Math.round(EVENTS / seconds),
          startupSeconds: (first! - started) / 1000,
          preloadSeconds,
          batches: stats.batches,
          cpuSeconds,
          peakMbWhileApplying: ended.peakRssMb === undefined ? memory : { ...memory, rss: ended.peakRssMb },
          roleProcess: Boolean(args['role-process']),
          phases: {
            decode: toSeconds(stats.ms.decode),
            plan: toSeconds(stats.ms.plan),
            store: toSeconds(stats.ms.store),
            publish: toSeconds(stats.ms.publish),
            publishWait: toSeconds(stats.ms.publishWait),
          },
        });
        console.log(
          `  end to end, ${distribution}, maxBatchEvents ${size}: ${Math.round(EVENTS / seconds)} events/s; ` +
            `phases (s, summed over partitions): ${JSON.stringify(results[results.length - 1]!.phases)}; ` +
            `peak MB while applying: ${JSON.stringify(results[results.length - 1]!.peakMbWhileApplying)}; ` +
            `CPU of the role's process: ${cpuSeconds} s`,
        );
        if (!(args['keep-topic'] && results.length === 1)) await admin.deleteTopics([topic]);
        topics.pop();
      }
  } finally {
    const created = new Set(await admin.listTopics());
    const leftover = [...topics, `bench.stock.${run}`].filter((t) => created.has(t));
    if (leftover.length > 0) await admin.deleteTopics(leftover);
    await admin.close();
  }
  const table = new Table({
    head: ['keys drawn', 'maxBatchEvents', 'events', 'seconds (first commit to caught up)', 'events/s'],
  });
  for (const r of results)
    table.push([
      r.distribution,
      r.maxBatchEvents,
      r.events,
      r.seconds.toFixed(2),
      r.eventsPerSecond.toLocaleString('en'),
    ]);
  console.log(
    `\nend to end (Kafka, ${partitions} partitions -> materializer role ${args['role-process'] ? 'as its own process' : 'in this process'} -> PostgreSQL + stock topic), ${KEYS} keys:`,
  );
  console.log(table.toString());
  return results;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

interface RunningRole {
  /** Rejects when the role fails. */
  done: Promise<unknown>;
  stop(): Promise<{ stats: ApplierStats; peakRssMb?: number; cpuSeconds?: number }>;
}

async function inProcessRole(roleConfig: StocklineConfig): Promise<RunningRole> {
  const role = await startRole('materializer', roleConfig, log);
  return {
    done: role.done,
    async stop() {
      await role.stop();
      return { stats: role.stats() };
    },
  };
}

/**
 * --role-process: `stockline run --role materializer` as a child process, as it runs in
 * production; its peak RSS (VmHWM) and CPU come from /proc, its stats from its last log line.
 */
function spawnRole(roleConfig: StocklineConfig): RunningRole {
  const m = roleConfig.materializer;
  const child = spawn(process.execPath, ['bin/stockline.js', 'run', '--role', 'materializer'], {
    env: {
      ...process.env,
      STOCKLINE__LOG__LEVEL: 'info',
      STOCKLINE__MAPPER__CANONICALTOPIC: roleConfig.mapper.canonicalTopic,
      STOCKLINE__MATERIALIZER__GROUPID: m.groupId,
      STOCKLINE__MATERIALIZER__STOCKTOPIC: m.stockTopic,
      STOCKLINE__MATERIALIZER__MAXBATCHEVENTS: String(m.maxBatchEvents),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stats: ApplierStats | undefined;
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines)
      if (line.includes('"materializer stopped"')) stats = JSON.parse(line) as ApplierStats;
      else if (line.includes('"level":50')) console.error(line);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const done = exited.then(() => {
    throw new Error('the materializer process ended by itself');
  });
  done.catch(() => undefined);
  return {
    done,
    async stop() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, at 100 Hz
      child.kill('SIGTERM');
      await exited;
      if (!stats) throw new Error('the materializer process logged no stats when it stopped');
      return {
        stats,
        peakRssMb: hwm === undefined ? undefined : Math.round(Number(hwm) / 1024),
        cpuSeconds: Number.isFinite(ticks) ? ticks / 100 : undefined,
      };
    },
  };
}

const pgVersion = async (db: Knex) =>
  (
    (await db.raw<{ rows: { server_version: string }[] }>('SHOW server_version')).rows[0]?.server_version ??
    '?'
  ).split(' ')[0];

async function cleanUp(db: Knex): Promise<void> {
  const like = `${run}-%`;
  for (const t of [TABLES.stock, TABLES.totals, TABLES.totalsByRegion, TABLES.totalsByKind])
    await db(t).whereLike('sku', like).delete();
  await db(TABLES.positions).whereLike('group_id', `bench-%${run}%`).delete();
  await forgetLedger(db, `${run}-`);
}

const db = createStockDb(config, { applicationName: 'stockline-bench' });
try {
  await migrateStockDb(db);
  if (!args['e2e-only']) await benchApply(db);
  if (args.e2e || args['e2e-only']) {
    const results = await benchEndToEnd(db);
    const first = results[0];
    if (args.json && first) {
      const json = {
        ...(args['keep-topic'] ? { topic: first.topic, partitions: first.partitions } : {}),
        events: first.events,
        seconds: first.seconds,
        eventsPerSecond: first.eventsPerSecond,
        keys: KEYS,
        batchSizes: {
          maxBatchEvents: first.maxBatchEvents,
          batches: first.batches,
          meanEvents: Math.round(first.events / Math.max(1, first.batches)),
        },
        peakRssMb: peakRssMb(),
        ...(first.roleProcess ? { rolePeakRssMb: first.peakMbWhileApplying.rss } : {}),
        distribution: first.distribution,
        concurrency: config.materializer.concurrency,
        startupSeconds: first.startupSeconds,
        preloadSeconds: first.preloadSeconds,
        phases: first.phases,
        runs: results,
      };
      await writeFile(args.json, `${JSON.stringify(json, null, 2)}\n`);
      console.log(`result written to ${args.json}`);
    }
  }
} finally {
  const started = Date.now();
  await cleanUp(db);
  console.log(`cleaned up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await db.destroy();
}
