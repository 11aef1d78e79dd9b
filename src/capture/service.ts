// `stockline run --role sap-capture`: MATDOC (and, at the initial load, MARD) from SAP into
// Debezium-shaped records on the raw topics, exactly once (capture.ts, README.md).
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, ProducerFencedError, RemoteError, StocklineError } from '../errors.js';
import { createAdmin, createReader, createTransactionalProducer } from '../kafka/clients.js';
import type { TransactionalProducer } from '../kafka/port.js';
import { withTopicSettings } from '../kafka/topic-settings.js';
import type { Logger } from '../observability/logger.js';
import { openSapSource, type SapSourceSettings } from '../sap/sources.js';
import type { OpenSqlAdapter, SapSource } from '../sap/port.js';
import type { RoleHandle, RoleHealth, StartRole } from '../service/role.js';
import { noFigures, SapCapture, type CaptureFigures } from './capture.js';
import { crashHookFromEnv } from './crash.js';
import { captureMetrics } from './metrics.js';
import type { CaptureOptions } from './options.js';
import { CapturedKeys, decodePosition, SegmentFolder, type CapturePosition } from './state.js';

export type CaptureStats = Readonly<CaptureFigures & { restarts: number }>;

/**
 * Creates the raw topics (as Debezium's topic.creation did: 3 partitions) and the compacted state
 * topic with ONE partition (state.ts reads it up to the last position record); refuses a state
 * topic with more.
 */
async function ensureTopics(clientId: string, options: CaptureOptions): Promise<void> {
  const admin = createAdmin(options.kafka, clientId);
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      { topic: options.topics.matdoc, partitions: 3 },
      { topic: options.topics.mard, partitions: 3 },
      { topic: options.core.stateTopic, partitions: 1, config: { 'cleanup.policy': 'compact' } },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) await admin.createTopics(wanted.map((t) => withTopicSettings(options.kafka, t)));
    // Right after creating it, a broker may not know its new leader yet (NOT_LEADER): ask again.
    let partitions = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        partitions = (await admin.topicOffsets(options.core.stateTopic)).size;
        break;
      } catch (e) {
        if (attempt >= 10) throw e;
        await sleep(300 * attempt);
      }
    }
    if (partitions !== 1)
      throw new RemoteError(
        `the SAP capture's state topic ${options.core.stateTopic} has ${partitions} partitions: it needs exactly one (its position and its keys are read back in order); create it with one partition, or name another in sap.stateTopic`,
        { topic: options.core.stateTopic },
        { retriable: false },
      );
  } finally {
    await admin.close();
  }
}

/**
 * The keys captured per bucket, read back from the state topic (read_committed) from its start
 * up to the position record of the last committed transaction: everything that transaction
 * and the ones before it wrote is before it in the one partition.
 */
export async function readCapturedKeys(
  options: CaptureOptions,
  clientId: string,
  position: CapturePosition,
): Promise<CapturedKeys> {
  const { source, stateTopic } = options.core;
  const folder = new SegmentFolder(source);
  let reached = false;
  await createReader(options.kafka, clientId).read({
    topics: [stateTopic],
    fromBeginning: true,
    onRecord(record) {
      const key = record.key?.toString('utf8') ?? '';
      if (key === source) {
        const p = decodePosition(record.value, { topic: stateTopic, source });
        if (p !== null && p.seq === position.seq) {
          reached = true;
          return false;
        }
        return true;
      }
      folder.add(key, record.value);
      return true;
    },
  });
  if (!reached)
    throw new RemoteError(
      `the SAP capture read its state topic ${stateTopic} without reaching its last position record (seq ${position.seq})`,
      { topic: stateTopic, source },
      { retriable: true },
    );
  return folder.keys();
}

/** What one session holds: the source, the producer, the core over them. */
interface Session {
  source: SapSource;
  producer: TransactionalProducer;
  capture: SapCapture;
}

export interface CaptureDependencies {
  /** A driver adapter instead of sap.driver's (tests). */
  open?: OpenSqlAdapter;
}

/** `stockline run --role sap-capture`. */
export async function startCapture(
  options: CaptureOptions,
  log: Logger,
  deps: CaptureDependencies = {},
): Promise<RoleHandle<CaptureStats>> {
  const clientId = `${options.kafka.clientId}-sapcapture`;
  const table = options.core.matdocTable;
  const crash = crashHookFromEnv();
  const settings: SapSourceSettings = {
    driver: options.driver,
    connection: options.connection,
    schema: options.schema,
    matdocTable: options.core.matdocTable,
    mardTable: options.core.mardTable,
  };
  await ensureTopics(clientId, options);
  const stopping = new AbortController();
  const totals: CaptureFigures & { restarts: number } = { ...noFigures(), restarts: 0 };
  let session: Session | undefined;
  let lastError: Error | undefined;
  let failure: Error | undefined;

  const openSession = async (): Promise<Session> => {
    const { source } = await openSapSource(settings, deps.open);
    let producer: TransactionalProducer | undefined;
    try {
      producer = await createTransactionalProducer(options.kafka, clientId, {
        transactionalId: options.transactionalId,
        stateTopic: options.core.stateTopic,
        source: options.core.source,
      });
      const position = decodePosition(producer.startPosition, {
        topic: options.core.stateTopic,
        source: options.core.source,
      });
      const captured =
        position === null ? new CapturedKeys() : await readCapturedKeys(options, clientId, position);
      const capture = new SapCapture(source, producer, options.core, position, captured, log, crash, {
        committed(path, rows) {
          captureMetrics.rows.inc({ table, path }, rows);
          if (path === 'sweep') captureMetrics.sweepFinds.inc({ table }, rows);
          captureMetrics.capturedKeys.set({ table }, captured.size);
        },
        lag(seconds) {
          captureMetrics.lag.set({ table }, seconds);
        },
      });
      log.info(
        {
          position: position?.point ?? null,
          seq: position?.seq ?? 0,
          windowKeys: captured.size,
          driver: source.driver,
        },
        'SAP capture: started from the committed position',
      );
      return { source, producer, capture };
    } catch (e) {
      await producer?.close().catch(() => undefined);
      await source.close().catch(() => undefined);
      throw e;
    }
  };

  const closeSession = async () => {
    const s = session;
    session = undefined;
    if (s === undefined) return;
    for (const [k, v] of Object.entries(s.capture.figures) as [keyof CaptureFigures, number][])
      totals[k] += v;
    await s.producer.close().catch((e: unknown) => log.warn({ err: e }, 'while closing the producer'));
    await s.source.close().catch((e: unknown) => log.warn({ err: e }, 'while closing the SAP source'));
  };

  const loop = async () => {
    let backoffMs = 500;
    while (!stopping.signal.aborted) {
      try {
        session ??= await openSession();
        const { capture } = session;
        if (capture.committed === null && !capture.needsInitialLoad) await capture.startWithoutLoad();
        if (capture.needsInitialLoad) await capture.initialLoad();
        let nextSweep = 0;
        while (!stopping.signal.aborted) {
          if (Date.now() >= nextSweep) {
            await capture.sweep();
            nextSweep = Date.now() + options.sweepIntervalMs;
          }
          const read = await capture.poll();
          captureMetrics.polls.inc({ table });
          captureMetrics.lastPoll.set({ table }, capture.lastPollAt / 1000);
          lastError = undefined;
          backoffMs = 500;
          if (read < options.core.batchSize)
            await sleep(Math.min(options.pollIntervalMs, Math.max(0, nextSweep - Date.now())), undefined, {
              signal: stopping.signal,
            }).catch(() => undefined);
        }
      } catch (e) {
        const error = e instanceof Error ? e : new Error(describeError(e));
        await closeSession();
        if (stopping.signal.aborted) return;
        const retriable = error instanceof StocklineError ? error.retriable : true;
        if (error instanceof ProducerFencedError || !retriable) {
          failure = error;
          log.error({ err: error }, `SAP capture stops: ${error.message}`);
          return;
        }
        lastError = error;
        totals.restarts++;
        captureMetrics.failures.inc({ table });
        log.warn(
          { err: error, retryInMs: backoffMs },
          `SAP capture: ${error.message}; resuming from the committed state`,
        );
        await sleep(backoffMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        backoffMs = Math.min(backoffMs * 2, 30000);
      }
    }
  };

  const running = loop();
  let stopped: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopped ??= (async () => {
      stopping.abort();
      await running;
      await closeSession();
    })());
  const done = running.then(async () => {
    await shutdown();
    if (failure !== undefined) throw failure;
  });
  done.catch(() => undefined);

  return {
    done,
    health(): Promise<RoleHealth> {
      if (failure !== undefined) return Promise.resolve({ ok: false, reason: `failed: ${failure.message}` });
      if (stopping.signal.aborted) return Promise.resolve({ ok: false, reason: 'the SAP capture stopped' });
      if (lastError !== undefined)
        return Promise.resolve({ ok: false, reason: `retrying after: ${lastError.message}` });
      const last = session?.capture.lastPollAt ?? 0;
      return Promise.resolve(
        last === 0
          ? { ok: false, reason: 'no poll has succeeded yet (initial load or connecting)' }
          : { ok: true, reason: `last poll ${new Date(last).toISOString()}` },
      );
    },
    stats() {
      const s = { ...totals };
      if (session !== undefined)
        for (const [k, v] of Object.entries(session.capture.figures) as [keyof CaptureFigures, number][])
          s[k] += v;
      return s;
    },
    stop: shutdown,
  };
}
startCapture satisfies StartRole<CaptureOptions, CaptureStats>;
