import { readMaterializerPositions } from '../kafka/consumer-lag.js';
import { startLagSampler } from '../kafka/lag-metrics.js';
import { StocklineError, describeError } from '../errors.js';
import { withTopicSettings } from '../kafka/topic-settings.js';
import { createAdmin, createBatchConsumer, createProducer } from '../kafka/clients.js';
import type { RoleHealth, StartRole } from '../service/role.js';
import { createStockDb } from '../stock/db.js';
import { migrateStockDb } from '../stock/migrate.js';
import { postgresStockReader } from '../stock/postgres/stock-reader.js';
import { postgresStockStore } from '../stock/postgres/stock-store.js';
import { BatchApplier, type ApplierStats } from './batch-applier.js';
import type { MaterializerOptions } from './options.js';
import { createStockPublisher, STOCK_PRODUCER_OPTIONS } from './stock-publisher.js';

const STATS_INTERVAL_MS = 10000;
const HORIZON_INTERVAL_MS = 3600_000;
/** Kafka's committed offsets are for lag tools only; once a second per partition is plenty. */
const KAFKA_COMMIT_INTERVAL_MS = 1000;
/**
 * Bytes fetched per partition: 2 MiB hold ~1,500 canonical messages (~1.3 KB each with their
 * CloudEvents headers). Measured end to end (200,000 events, 3 partitions at a time): 4 and
 * 8 MiB applied no faster but raised the role's peak RSS from ~420 to ~530 and ~610 MB.
 */
const FETCH_BYTES_PER_PARTITION = 2 * 1024 * 1024;

/** Creates the canonical topic (if the mapper has not yet) and the compacted stock topic. */
async function ensureTopics(clientId: string, options: MaterializerOptions): Promise<void> {
  const admin = createAdmin(options.kafka, clientId);
  try {
    const existing = new Set(await admin.listTopics());
    const { partitions } = options;
    const missing = [
      { topic: options.canonicalTopic, partitions },
      { topic: options.stockTopic, partitions, config: { 'cleanup.policy': 'compact' } },
    ].filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics(missing.map((t) => withTopicSettings(options.kafka, t)));
  } finally {
    await admin.close();
  }
}

/**
 * `stockline run --role materializer`: canonical topic -> stock tables (exactly once) -> stock
 * topic. See README.md beside this file for the semantics.
 */
/** The materializer's figures (bench, logs): its applier's counters and time per phase. */
export type MaterializerStats = Readonly<ApplierStats>;

export const startMaterializer: StartRole<MaterializerOptions, MaterializerStats> = async (options, log) => {
  const topic = options.canonicalTopic;
  const { groupId, stockTopic, maxBatchEvents } = options;
  const clientId = `${options.kafka.clientId}-materializer`;

  const db = createStockDb(options, { applicationName: 'stockline-materializer' });
  const stopping = new AbortController();
  let finish!: () => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const cleanups: (() => Promise<void>)[] = [() => db.destroy()];
  let stopped: Promise<void> | undefined;
  // Its health: not ok once stopping or failed, or while the last batch could not be applied.
  let ended: RoleHealth | undefined;
  let lastBatchProblem: string | undefined;
  const shutdown = (): Promise<void> =>
    (stopped ??= (async () => {
      ended ??= { ok: false, reason: 'the materializer stopped' };
      stopping.abort();
      for (const cleanup of cleanups.reverse())
        await cleanup().catch((e: unknown) => log.warn({ err: e }, 'while stopping'));
    })());

  let stats!: ApplierStats;
  try {
    await migrateStockDb(db, log);
    await ensureTopics(clientId, options);
    const publisher = createStockPublisher(
      await createProducer(options.kafka, clientId, STOCK_PRODUCER_OPTIONS),
      stockTopic,
      log,
    );
    cleanups.push(() => publisher.close());
    // Rows of committed batches still on their way to the stock topic (after the consumer stopped).
    let flushPublishes = (): Promise<void> => Promise.resolve();
    cleanups.push(() => flushPublishes());
    const consumer = createBatchConsumer(options.kafka, clientId, {
      // Partitions applied at the same time (materializer.concurrency): one batch statement keeps
      // one PostgreSQL backend busy on one core. Each partition stays in order, and batches lock
      // rows in key order, so they do not deadlock. At most stockDb.poolMax: compileMaterializerOptions refuses more.
      concurrency: options.concurrency,
      maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
    });
    cleanups.push(() => consumer.stop());

    const lastCommit = new Map<number, number>();
    const applier = new BatchApplier({
      groupId,
      topic,
      maxBatchEvents,
      store: postgresStockStore(db),
      publisher,
      partitionOffsets: (partition) => consumer.partitionOffsets(topic, partition),
      async commitToKafka(partition, next) {
        if (Date.now() - (lastCommit.get(partition) ?? 0) < KAFKA_COMMIT_INTERVAL_MS) return;
        lastCommit.set(partition, Date.now());
        await consumer
          .commit(topic, partition, next)
          .catch((e: unknown) => log.debug({ err: e, partition }, 'Kafka offset commit failed'));
      },
      log,
      signal: stopping.signal,
    });
    stats = applier.stats;
    flushPublishes = () => applier.flushPublishes();
    // stockline_consumer_lag{role="materializer"}: against the positions stored with the stock.
    const lagAdmin = createAdmin(options.kafka, clientId);
    const lag = startLagSampler({
      role: 'materializer',
      admin: lagAdmin,
      topics: () => Promise.resolve([topic]),
      positions: () => readMaterializerPositions(postgresStockReader(db), groupId, topic),
      log,
    });
    cleanups.push(async () => {
      await lag.stop();
      await lagAdmin.close();
    });

    const failRole = (e: unknown) => {
      ended ??= { ok: false, reason: `the materializer failed: ${describeError(e)}` };
      log.error({ err: e }, `materializer stops: ${describeError(e)}`);
      void shutdown().finally(() => fail(e));
    };
    const statsTimer = setInterval(() => {
      const s = { ...applier.stats };
      if (s.events > 0) log.info(s, 'materializer progress (since start)');
    }, STATS_INTERVAL_MS);
    statsTimer.unref();
    // The ledger forgets whole months older than its horizon (README, "Duplicates and late events").
    const horizonDays = options.ledgerHorizonDays;
    const advanceHorizon = async () => {
      if (horizonDays === 0) return;
      const { horizon, dropped } = await postgresStockStore(db).advanceLedgerHorizon(
        new Date(Date.now() - horizonDays * 86_400_000),
      );
      if (dropped.length > 0) log.info({ horizon, dropped }, 'ledger months older than the horizon dropped');
    };
    await advanceHorizon();
    let advancing = false;
    const purge = setInterval(() => {
      if (advancing) return;
      advancing = true;
      advanceHorizon()
        .catch((e: unknown) => log.warn({ err: e }, 'advancing the ledger horizon failed; retrying later'))
        .finally(() => (advancing = false));
    }, HORIZON_INTERVAL_MS);
    purge.unref();
    cleanups.push(() => {
      clearInterval(purge);
      clearInterval(statsTimer);
      log.info({ ...applier.stats }, 'materializer stopped');
      return Promise.resolve();
    });

    await consumer.start({
      groupId,
      topic,
      onAssignment(partitions) {
        applier.onAssignment();
        log.info({ topic, partitions }, 'partitions assigned');
      },
      async onBatch(batch, control) {
        try {
          await applier.handle(batch, control);
          lastBatchProblem = undefined;
        } catch (e) {
          if (!(e instanceof StocklineError)) throw e; // the client's (rebalance) or a bug: see onCrash
          if (stopping.signal.aborted) return;
          if (!e.retriable) return failRole(e);
          // Nothing was resolved: the client fetches this batch again.
          lastBatchProblem = `a batch of partition ${batch.partition} could not be applied and is retried: ${describeError(e)}`;
          log.warn({ err: e, partition: batch.partition }, 'batch not applied; it will be fetched again');
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      },
      onFilteredOut: (partition, first, last) => applier.onFilteredOut(partition, first, last),
      onCrash: failRole,
    });
    log.info({ topic, groupId, stockTopic, maxBatchEvents }, 'materializer running');
  } catch (e) {
    await shutdown();
    throw e;
  }

  return {
    async stop() {
      await shutdown();
      finish();
    },
    done,
    health: () =>
      Promise.resolve(
        ended ?? (lastBatchProblem === undefined ? { ok: true } : { ok: false, reason: lastBatchProblem }),
      ),
    stats: () => structuredClone(stats),
  };
};
