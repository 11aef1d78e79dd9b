// "Replays change nothing": one simulated run through the real stack, then every way the same
// source changes reach the pipeline again (a connector's offsets reset, a Debezium incremental
// snapshot, the mapper group reset to the earliest offsets, a dead-letter replay, a materializer
// restart in the middle), each followed by the simulator's verify matching exactly.
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Admin, Producer } from 'kafkajs';
import type { Knex } from 'knex';
import type { StocklineConfig } from '../../src/config/schema.js';
import { ConnectClient } from '../../src/connectors/connect-client.js';
import { loadConnectorFiles } from '../../src/connectors/connector-file.js';
import { connectorEnvironment } from '../../src/connectors/environment.js';
import { localStackPlaceholders } from '../../src/dev/stack/connector-defaults.js';
import { applyConnectors, resetOffsets, waitRunning } from '../../src/connectors/operations.js';
import { kafkajsClient } from '../support/kafka.js';
import { createAdmin } from '../../src/kafka/clients.js';
import type { KafkaAdmin } from '../../src/kafka/port.js';
import { listDeadLetters, replayDeadLetters } from '../../src/mapper/dead-letter-replay.js';
import { readMappings } from '../../src/mapper/mapping-files.js';
import { startMapper as startMapperRole, type MapperHandle } from '../../src/mapper/service.js';
import {
  fetchGroupLag,
  groupLag,
  readMaterializerPositions,
  readTopicEnds,
  type TopicOffsets,
} from '../../src/kafka/consumer-lag.js';
import { createLogger } from '../../src/observability/logger.js';
import { postgresStockReader } from '../../src/stock/postgres/stock-reader.js';
import { compileMapperOptions } from '../../src/mapper/options.js';
import { compileMaterializerOptions } from '../../src/materializer/options.js';
import { startMaterializer } from '../../src/materializer/service.js';
import { compileCaptureOptions } from '../../src/capture/options.js';
import { startCapture } from '../../src/capture/service.js';
import { compileReplicatorOptions } from '../../src/replicator/options.js';
import { startReplicator } from '../../src/replicator/service.js';
import type { RoleHandle } from '../../src/service/role.js';
import type { Expectation } from '../../src/dev/simulator/expectation-file.js';
import { parseSimulateFlags } from '../../src/dev/simulator/options.js';
import { simulate } from '../../src/dev/simulator/simulate.js';
import {
  awaitStock,
  compareStock,
  differenceRows,
  stockTableReader,
  tally,
  type StockReading,
} from '../../src/dev/simulator/verify.js';
import { createStockDb } from '../../src/stock/db.js';
import { isolatedMapperConfig, uniqueSuffix } from '../support/config.js';
import { connectStoreMariadb, connectStorePostgres, createScratchDatabase } from '../support/databases.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

// The roles dead-letter other tests' poison records from the shared raw topics: errors only.
const log = createLogger({ level: 'error' });

const STORE_CONNECTORS = ['store-postgres', 'store-mariadb'] as const;
/** The store tables the shipped mappings map, per connector: topic prefix and schema. */
const STORES = [
  { connector: 'store-postgres', prefix: 'store-pg.public', db: 'postgres' },
  { connector: 'store-mariadb', prefix: 'store-maria.store', db: 'mariadb' },
] as const;
const MAPPED_TABLES = ['sale_lines', 'goods_receipts', 'transfers', 'stock_on_hand'] as const;
/** How long the source side of a replay (a snapshot, the mapper re-reading) may take. */
const REPLAY_TIMEOUT_MS = 180_000;

/**
 * Raw topics written by a transactional producer (the MQ replicator, the SAP capture): the last
 * transaction's commit marker stays after the last record a group reads, one offset per
 * partition that no consumer ever commits past until the next record.
 */
const transactionalRaw = (topic: string): boolean => topic.startsWith('mq.') || topic.startsWith('sap.');

const sum = (offsets: Map<number, bigint> | undefined): bigint =>
  [...(offsets ?? new Map<number, bigint>()).values()].reduce((a, b) => a + b, 0n);

describe('Replays change nothing: re-snapshots, incremental snapshots, a mapper group reset, a dead-letter replay and a materializer restart leave the stock table exact (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  let config: StocklineConfig;
  let dir: string;
  let db: Knex;
  let admin: Admin;
  /** Offsets and lag through the Kafka port (what the roles use). */
  let offsets: KafkaAdmin;
  let producer: Producer | undefined;
  let connect: ConnectClient;
  let expectation: Expectation;
  let read: () => Promise<StockReading[]>;
  let mapperTopics: string[];
  let mapper: MapperHandle | undefined;
  let materializer: RoleHandle | undefined;
  /** The roles that bring the mainframe's queue and SAP to Kafka, as `stockline run` starts them. */
  const sourceRoles: RoleHandle[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;

  const startMapper = async () =>
    (mapper = await startMapperRole(compileMapperOptions(config), log.child({ role: 'mapper' })));
  const stopMapper = async () => {
    const role = mapper;
    mapper = undefined;
    await role?.stop();
  };
  const startMat = async () =>
    (materializer = await startMaterializer(
      compileMaterializerOptions(config),
      log.child({ role: 'materializer' }),
    ));
  const stopMat = async () => {
    const role = materializer;
    materializer = undefined;
    await role?.stop();
  };

  /** End offsets per topic, summed over partitions (0 for a topic that does not exist yet). */
  async function recordCounts(topics: readonly string[]): Promise<Map<string, bigint>> {
    const { ends } = await readTopicEnds(offsets, topics);
    return new Map(topics.map((t) => [t, sum(ends.get(t))]));
  }

  /** Waits until each topic holds at least `more` records beyond `from`: the replay is on Kafka. */
  async function waitForRecords(from: Map<string, bigint>, more: Map<string, number>, what: string) {
    const deadline = Date.now() + REPLAY_TIMEOUT_MS;
    for (;;) {
      const now = await recordCounts([...more.keys()]);
      const short = [...more].filter(([t, n]) => now.get(t)! < from.get(t)! + BigInt(n));
      if (short.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(
          `${what}: not all on Kafka after ${REPLAY_TIMEOUT_MS / 1000} s: ` +
            short.map(([t, n]) => `${t} +${now.get(t)! - from.get(t)!} of +${n}`).join(', '),
        );
      await sleep(500);
    }
  }

  /**
   * Waits until the mapper group has read every raw record and the materializer has stored every
   * canonical event (its stored positions, which move in the stock row's own transaction, at the
   * topic's end), twice in a row a second apart.
   */
  async function waitDrained(what: string, timeoutMs = REPLAY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietPolls = 0;
    let last: string;
    for (;;) {
      const lag = await fetchGroupLag(offsets, config.mapper.groupId, mapperTopics);
      const txnEnds = (await readTopicEnds(offsets, mapperTopics.filter(transactionalRaw))).ends;
      const markers = (topic: string) => BigInt(txnEnds.get(topic)?.size ?? 0);
      const mapperLag = {
        total: lag.topics.reduce(
          (n, t) => n + (t.lag > markers(t.topic) ? t.lag - markers(t.topic) : 0n),
          0n,
        ),
      };
      const canonical = await readTopicEnds(offsets, [config.mapper.canonicalTopic]);
      const positions: TopicOffsets = await readMaterializerPositions(
        postgresStockReader(db),
        config.materializer.groupId,
        config.mapper.canonicalTopic,
      );
      const materializerLag = groupLag(canonical.ends, positions, canonical.starts);
      last = `mapper lag ${mapperLag.total}, materializer lag ${materializerLag.total}`;
      quietPolls = mapperLag.total === 0n && materializerLag.total === 0n ? quietPolls + 1 : 0;
      if (quietPolls >= 2) return;
      if (Date.now() > deadline)
        throw new Error(`${what}: the pipeline did not catch up in ${timeoutMs / 1000} s (${last})`);
      await sleep(1000);
    }
  }

  /**
   * The simulator's verify on the run, after the pipeline caught up: every expected row exactly,
   * no row missing or unexpected. The message says what differs from the expectation and which
   * rows this replay changed.
   */
  async function expectExact(what: string, before?: StockReading[]): Promise<StockReading[]> {
    const result = await awaitStock(read, expectation.stock, { timeoutMs: 10_000, settleMs: 3000 });
    const rows = await read();
    const comparison = compareStock(expectation.stock, rows);
    let changed = '';
    if (before) {
      const was = new Map(before.map((r) => [`${r.sku}@${r.location}`, r.onHand]));
      const now = new Map(rows.map((r) => [`${r.sku}@${r.location}`, r.onHand]));
      const keys = new Set([...was.keys(), ...now.keys()]);
      const n = [...keys].filter((k) => was.get(k) !== now.get(k)).length;
      changed = `; ${n} of ${keys.size} rows changed by this replay`;
    }
    const shown = differenceRows(comparison).slice(0, 15);
    const message =
      `${what}: verify ${comparison.expected} expected rows: ${tally(comparison)}${changed} ` +
      `(after ${(result.waitedMs / 1000).toFixed(1)} s)` +
      (shown.length === 0
        ? ''
        : `\n  sku location expected actual kind:\n  ${shown.map((r) => r.join(' ')).join('\n  ')}` +
          (comparison.differences.length > shown.length
            ? `\n  ... and ${comparison.differences.length - shown.length} more`
            : ''));
    console.log(`      ${message.split('\n')[0]}`);
    expect(comparison.differences.length, message).to.equal(0);
    expect(comparison.matching, message).to.equal(comparison.expected);
    return rows;
  }

  /** Row counts of the mapped store tables, as raw topic -> rows a snapshot of it emits. */
  async function tableRows(tables: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const pgClient = await connectStorePostgres(env, 'store');
    const maria = await connectStoreMariadb(env);
    try {
      for (const table of tables) {
        const pgRows = await pgClient.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        counts.set(`store-pg.public.${table}`, Number(pgRows.rows[0]!.n));
        const [mariaRows] = await maria.query(`SELECT count(*) AS n FROM ${table}`);
        counts.set(`store-maria.store.${table}`, Number((mariaRows as { n: number }[])[0]!.n));
      }
    } finally {
      await pgClient.end();
      await maria.end();
    }
    return counts;
  }

  before(async function () {
    env = await ensureStack();
    const suffix = uniqueSuffix();
    config = isolatedMapperConfig(env.config, suffix);
    config.materializer.groupId = `test-materializer-${suffix}`;
    config.materializer.stockTopic = `test.inventory.stock.${suffix}`;
    // A stock database of its own: the replays must not touch the shared stock table's rows.
    config.stockDb.database = `stockline_replays_${suffix}`;
    dropDatabase = await createScratchDatabase(env, config.stockDb.database);
    dir = mkdtempSync(path.join(os.tmpdir(), 'stockline-replays-'));
    const kafka = kafkajsClient({ brokers: config.kafka.brokers, clientId: 'stockline-test-replays' });
    admin = kafka.admin();
    await admin.connect();
    offsets = createAdmin(config.kafka, 'stockline-test-replays');
    db = createStockDb(config, { applicationName: 'stockline-test-replays' });
    connect = new ConnectClient(config.connect.url, config.connect.requestTimeoutMs);
    const { mappings } = readMappings(config.mapper.mappingsDir);
    mapperTopics = [...new Set(mappings.filter((m) => m.enabled).flatMap((m) => m.topics))];

    // The sources of the run's mainframe and SAP movements, which verify expects too; the
    // capture with a state topic of its own (it starts with an initial load).
    config.sap.stateTopic = `test.sap-capture.state.${suffix}`;
    sourceRoles.push(
      await startReplicator(compileReplicatorOptions(config), log.child({ role: 'mq-replicator' })),
    );
    sourceRoles.push(await startCapture(compileCaptureOptions(config), log.child({ role: 'sap-capture' })));
    await startMapper();
    await startMat();
    const options = parseSimulateFlags({
      duration: '20s',
      rate: '200',
      seed: String(randomInt(2 ** 31)),
      expectFile: path.join(dir, 'run.json'),
    });
    const report = await simulate(config, options);
    expect(report.result.outcome).to.equal('complete');
    expectation = report.expectation;
    read = stockTableReader(db, expectation.skuPrefix);
    console.log(
      `      run ${expectation.runId}: ${report.result.written} events, ${Object.keys(expectation.stock).length} expected rows`,
    );
  });

  after(async () => {
    // Whatever failed: the in-process roles stop, and the shared connectors run again.
    await stopMapper().catch((e: unknown) => console.error('stopping the mapper:', e));
    await stopMat().catch((e: unknown) => console.error('stopping the materializer:', e));
    for (const role of sourceRoles.splice(0))
      await role.stop().catch((e: unknown) => console.error('stopping a source role:', e));
    for (const name of STORE_CONNECTORS) {
      const state = (await connect?.status(name).catch(() => undefined))?.connector.state;
      if (state === 'STOPPED' || state === 'PAUSED') await connect.resume(name);
    }
    if (connect) await waitRunning(connect, [...STORE_CONNECTORS], 120_000);
    await producer?.disconnect();
    await admin?.disconnect();
    await offsets?.close();
    await db?.destroy();
    await dropDatabase?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the run itself: the stock table matches the simulation exactly', async () => {
    const result = await awaitStock(read, expectation.stock, { timeoutMs: 120_000, settleMs: 15_000 });
    expect(result.comparison.matching, tally(result.comparison)).to.be.above(0);
    await waitDrained('the run');
    await expectExact('the run');
  });

  it('1. both store connectors re-snapshot after their offsets are reset (stop, DELETE offsets, resume): nothing changes', async () => {
    const before = await read();
    const rows = await tableRows(MAPPED_TABLES);
    const from = await recordCounts([...rows.keys()]);
    for (const { connector } of STORES) await resetOffsets(connect, connector);
    await waitForRecords(from, rows, 'the re-snapshots');
    await waitDrained('the re-snapshots');
    await expectExact('after the re-snapshots of store-postgres and store-mariadb', before);
  });

  it('2. a Debezium incremental snapshot (signal table) of sale_lines and stock_on_hand in both stores: nothing changes', async () => {
    const before = await read();
    const tables = ['sale_lines', 'stock_on_hand'] as const;
    const rows = await tableRows(tables);
    const from = await recordCounts([...rows.keys()]);
    const signal = (schema: string) =>
      JSON.stringify({ 'data-collections': tables.map((t) => `${schema}.${t}`), type: 'incremental' });
    // The store connectors are shared: a test run from another checkout may have applied its own
    // connector files meanwhile. Signals need this checkout's (signal.data.collection).
    const files = loadConnectorFiles(
      config.connect.connectorsDir,
      connectorEnvironment(localStackPlaceholders(config)),
    ).filter((c) => (STORE_CONNECTORS as readonly string[]).includes(c.name));
    await applyConnectors(connect, files);
    await waitRunning(connect, [...STORE_CONNECTORS], 120_000);
    const pgClient = await connectStorePostgres(env, 'store');
    const maria = await connectStoreMariadb(env);
    try {
      await pgClient.query(
        "INSERT INTO debezium_signal (id, type, data) VALUES ($1, 'execute-snapshot', $2)",
        [randomUUID(), signal('public')],
      );
      await maria.execute("INSERT INTO debezium_signal (id, type, data) VALUES (?, 'execute-snapshot', ?)", [
        randomUUID(),
        signal('store'),
      ]);
    } finally {
      await pgClient.end();
      await maria.end();
    }
    await waitForRecords(from, rows, 'the incremental snapshots').catch(async (e: unknown) => {
      const unsignalled = [];
      for (const name of STORE_CONNECTORS)
        if (!(await connect.config(name))?.['signal.data.collection']) unsignalled.push(name);
      throw new Error(
        `${(e as Error).message}` +
          (unsignalled.length === 0
            ? ''
            : `; the deployed config of ${unsignalled.join(', ')} has no signal.data.collection any more: connector files without it were applied meanwhile (another checkout's tests?)`),
      );
    });
    await waitDrained('the incremental snapshots');
    await expectExact('after the incremental snapshots of sale_lines and stock_on_hand', before);
  });

  it('3. the mapper group reset to the earliest offsets, with the materializer restarted while the re-mapped events arrive: nothing changes', async () => {
    const before = await read();
    await stopMapper();
    const existing = new Set(await admin.listTopics());
    const topics = mapperTopics.filter((t) => existing.has(t));
    for (const topic of topics)
      await admin.resetOffsets({ groupId: config.mapper.groupId, topic, earliest: true });
    // Records of the store topics only: on a transactional topic the end offset counts commit
    // markers too, which no consumer counts as records.
    const raw = await readTopicEnds(
      offsets,
      topics.filter((t) => !transactionalRaw(t)),
    );
    const rawRecords = [...raw.ends].reduce(
      (n, [topic, ends]) => n + sum(ends) - sum(raw.starts.get(topic)),
      0n,
    );
    const canonicalFrom = await recordCounts([config.mapper.canonicalTopic]);
    const handle = await startMapper();
    // The materializer stops and starts while the mapper is re-producing the events.
    await waitForRecords(
      canonicalFrom,
      new Map([[config.mapper.canonicalTopic, 1000]]),
      'the re-mapped events',
    );
    await stopMat();
    await sleep(2000);
    await startMat();
    await waitDrained('the mapper group reset');
    expect(handle.stats().consumed, 'the mapper read its raw topics again').to.be.at.least(
      Number(rawRecords),
    );
    await expectExact('after the mapper group reset and the materializer restart', before);
  });

  it('4. a dead-letter replay of a poison raw record: it fails again and nothing changes', async () => {
    const before = await read();
    const topic = 'store-pg.public.sale_lines';
    const [key] = Object.keys(expectation.stock);
    const sku = key!.slice(0, key!.lastIndexOf('@'));
    const lineId = randomInt(9_000_000_000, 9_999_999_999);
    // A sale line whose quantity arrives as a binary float: the mapping refuses it (never rounds).
    const poison = {
      op: 'c',
      before: null,
      after: {
        sale_line_id: lineId,
        sale_id: lineId,
        line_no: 1,
        location_id: 'S001',
        sku,
        quantity: 2.5,
        unit: 'EA',
        unit_price: '1.00',
        sold_at: new Date().toISOString(),
      },
      source: {
        connector: 'postgresql',
        name: 'store-pg',
        db: 'store',
        schema: 'public',
        table: 'sale_lines',
        lsn: 1,
      },
      ts_ms: Date.now(),
    };
    const dlq = config.mapper.deadLetterTopic;
    const dlqFrom = await recordCounts([dlq]);
    producer = kafkajsClient({
      brokers: config.kafka.brokers,
      clientId: 'stockline-test-replays',
    }).producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: JSON.stringify({ sale_line_id: lineId }), value: JSON.stringify(poison) }],
    });
    await waitForRecords(dlqFrom, new Map([[dlq, 1]]), 'the poison record as a dead letter');
    await waitDrained('the poison record');

    // Only this mapping's letters: the others would go back to raw topics other tests read.
    const mapping = 'store-pg-sale-lines';
    const letters = (await listDeadLetters(config, { mapping })).length;
    const { replayed } = await replayDeadLetters(config, { mapping });
    expect(replayed.length, 'dead letters replayed').to.be.at.least(1);
    expect(replayed.map((r) => r.source).join(' ')).to.contain(topic);
    // The replay is on the raw topics when it returns; nothing was fixed, so each letter fails again.
    await waitDrained('the dead-letter replay');
    expect((await listDeadLetters(config, { mapping })).length, 'dead letters after the replay').to.equal(
      letters + replayed.length,
    );
    await expectExact('after the poison record and its dead-letter replay', before);
  });
});
