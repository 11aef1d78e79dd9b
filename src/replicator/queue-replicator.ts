// The core of the MQ replicator: one queue onto its raw topic, no loss, no duplicate. It does I/O
// only through the two ports (src/mq/port.ts, the TransactionalProducer of src/kafka/port.ts), so
// that its unit tests run it on the memory transport and a fake producer.
import { setTimeout as sleep } from 'node:timers/promises';
import { ProducerFencedError, StocklineError, describeError } from '../errors.js';
import type { OutgoingRecord, SourceTransaction, TransactionalProducer } from '../kafka/port.js';
import type { QueueMessage, QueueSession } from '../mq/port.js';
import type { Logger } from '../observability/logger.js';
import type { CrashHook, CrashPoint } from './crash.js';
import { replicatorMetrics as metrics } from './metrics.js';
import type { QueueKey } from './options.js';
import {
  deadLetter,
  hex,
  isTooLarge,
  MAX_RECORD_BYTES,
  rawRecord,
  type DeadLetterReason,
} from './records.js';
import { decodeState, encodeState, type ReplicatorState } from './state.js';

export interface QueueReplicatorSettings {
  readonly queueManager: string;
  readonly queue: string;
  readonly topic: string;
  readonly key: QueueKey;
  readonly batchSize: number;
  readonly deadLetterTopic: string;
  /** For a queue without a backout threshold of its own. */
  readonly defaultBackoutThreshold: number;
  /** How long a get waits for the first message of a batch (ms); 500 when absent. */
  readonly firstWaitMs?: number;
  /** Records above this many bytes go to the dead-letter topic; MAX_RECORD_BYTES when absent. */
  readonly maxRecordBytes?: number;
  /**
   * How long ids of an uncertain queue commit are kept after recovery (ms); 60 s when absent.
   * Both transports hold the queue exclusively, so when a replicator holds it, the unit of work of
   * the one before has been backed out already (IBM MQ refuses the open with 2042 until then;
   * RabbitMQ deletes the lock with the dead connection): its messages are back on the queue, at
   * its head. This only bounds how long each state record carries ids that will never return.
   */
  readonly unresolvedTtlMs?: number;
  /** Between two attempts to open the queue or the producer after a retriable failure (ms); 1000 when absent. */
  readonly retryDelayMs?: number;
}

/**
 * A session, and whether its transport confirms commits (TransportCapabilities.atomicCommit;
 * absent: it does). RabbitMQ does not: a batch it was told to commit can still come back.
 */
export type ReplicatorSession = QueueSession & { readonly atomicCommit?: boolean };

/**
 * `session` as the replicator sees it, with some of its calls replaced (the service's close that
 * also closes the connection, a test's commit that is lost). Delegates rather than spreads: the
 * transports' sessions are classes whose methods need their own `this`.
 */
export function replicatorSession(
  session: QueueSession,
  overrides: Partial<ReplicatorSession> = {},
): ReplicatorSession {
  return {
    queueManager: session.queueManager,
    queue: session.queue,
    get: (max, waitMs) => session.get(max, waitMs),
    commit: () => session.commit(),
    backout: () => session.backout(),
    depth: () => session.depth(),
    backoutThreshold: () => session.backoutThreshold(),
    close: () => session.close(),
    ...overrides,
  };
}

/** How the replicator reaches its queue and Kafka; called again after a failure. */
export interface QueueReplicatorPorts {
  /** Opens the queue for input (exclusive where the transport can); QueueBusyError while another holds it. */
  openSession(): Promise<ReplicatorSession>;
  /** A transactional producer of this queue (its transactional id fences the one before it). */
  openProducer(): Promise<TransactionalProducer>;
}

export interface QueueReplicatorStats {
  /** Messages committed to the raw topic. */
  messages: number;
  /** Batches committed to Kafka. */
  batches: number;
  /** Times it recovered: at start, and after an uncertain queue commit or a failed Kafka transaction. */
  recoveries: number;
  /** Messages handed back that were already in Kafka: consumed, not produced again. */
  recoveryDiscards: number;
  /** Messages sent to the dead-letter topic. */
  deadLetters: number;
  /** Messages on the queue when last sampled (at most once a second), its open unit of work included. */
  queueDepth: number;
}

const DEFAULT_FIRST_WAIT_MS = 500;
const DEFAULT_UNRESOLVED_TTL_MS = 60_000;
const DEPTH_SAMPLE_MS = 1000;
const CLOSE_TIMEOUT_MS = 10_000;
/**
 * On a transport whose commit is not confirmed (atomicCommit false), the ids of the batch
 * committed before the current one stay in its state record's unresolved ids: a commit the broker
 * read (the transport's barrier) but had not applied when the connection died brings its batch
 * back after the next one.
 */
const UNCONFIRMED_BATCHES = 1;

/**
 * Replicates one queue. Each batch: get up to batchSize messages under the open unit of work;
 * one Kafka transaction with a record per message (raw topic, or dead-letter topic with the
 * reason) and the state record {seq, ids of the batch, unresolved ids}; Kafka commit; then the
 * queue commit. Recovery (research/mq.md §4A), at start and whenever the outcome of the last
 * batch on the queue is unknown: unresolved := the last state's ids ∪ its unresolved ids, and a
 * message whose id is in that set is consumed but not produced again. Dedup thus needs no
 * assumption about where the queue puts messages it hands back; their order does: the batch of
 * a crash comes back before later messages on a transport with `redeliveryKeepsOrder`.
 *
 * A crash hook that throws stands for the death of the process at that point: the replicator
 * cleans nothing up and rethrows (its unit tests kill the session and the producer themselves).
 */
export class QueueReplicator {
  readonly stats: QueueReplicatorStats = {
    messages: 0,
    batches: 0,
    recoveries: 0,
    recoveryDiscards: 0,
    deadLetters: 0,
    queueDepth: 0,
  };
  private session: ReplicatorSession | undefined;
  /** Ids of the last batches committed on a transport that does not confirm commits, newest last. */
  private unconfirmed: string[][] = [];
  private producer: TransactionalProducer | undefined;
  private threshold = 0;
  /** What the last committed Kafka transaction says. */
  private committed!: ReplicatorState;
  private unresolved = new Set<string>();
  private unresolvedSince = 0;
  private lastDepthSample = 0;
  private crashed = false;
  private readonly labels: { queue: string };
  private readonly context: Record<string, string>;

  constructor(
    private readonly settings: QueueReplicatorSettings,
    private readonly ports: QueueReplicatorPorts,
    private readonly log: Logger,
    private readonly options: { crash?: CrashHook; signal?: AbortSignal; now?: () => number } = {},
  ) {
    this.labels = { queue: settings.queue };
    this.context = { queueManager: settings.queueManager, queue: settings.queue };
  }

  /** Whether it holds its queue now. */
  get holding(): boolean {
    return this.session !== undefined;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private at(point: CrashPoint): void {
    if (!this.options.crash) return;
    try {
      this.options.crash(point);
    } catch (e) {
      this.crashed = true;
      throw e;
    }
  }

  /** Opens the producer (reading back the last state) and the queue, and recovers. */
  async start(): Promise<void> {
    await this.openProducer();
    await this.openSession();
  }

  /** Runs batches until the signal aborts or a failure no retry can heal (a fenced producer). */
  async run(): Promise<void> {
    try {
      if (!this.producer) await this.start();
      while (!this.options.signal?.aborted) await this.step();
    } catch (e) {
      // Asked to stop while waiting for the queue or Kafka: not a failure.
      if (this.options.signal?.aborted && !(e instanceof ProducerFencedError)) return;
      throw e;
    }
  }

  /** Backs out an open unit of work and closes both ports. */
  async close(): Promise<void> {
    await this.closeSession();
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close();
  }

  /** One batch; resolves with the number of messages the queue handed over (0: none came). */
  async step(): Promise<number> {
    if (!this.producer) await this.openProducer();
    const session = this.session ?? (await this.openSession());
    let messages: QueueMessage[];
    try {
      messages = await session.get(
        this.settings.batchSize,
        this.settings.firstWaitMs ?? DEFAULT_FIRST_WAIT_MS,
      );
    } catch (e) {
      // Whatever the get took is backed out with the session.
      await this.queueFailed('get', e, this.committed);
      return 0;
    }
    this.at('after-get');
    if (messages.length === 0) {
      this.expireUnresolved();
      await this.sampleDepth(session);
      return 0;
    }
    const { records, discarded } = this.recordsOf(messages);
    const ids = messages.map((m) => hex(m.messageId));
    const state: ReplicatorState = {
      seq: this.committed.seq + 1,
      ids,
      unresolved: [...new Set([...this.unresolved, ...this.unconfirmed.flat()])],
    };
    if (!(await this.commitToKafka(records, state))) return messages.length;
    this.committed = state;
    this.count(messages, records, discarded);
    this.at('after-kafka-commit');
    const endQueueCommit = metrics.queueCommit.startTimer(this.labels);
    try {
      await session.commit();
    } catch (e) {
      // Uncertain: the batch may or may not have left the queue; it is in Kafka either way.
      await this.queueFailed('commit', e, state);
      return messages.length;
    }
    endQueueCommit();
    if (session.atomicCommit === false) {
      this.unconfirmed.push(ids);
      if (this.unconfirmed.length > UNCONFIRMED_BATCHES) this.unconfirmed.shift();
    }
    this.at('after-queue-commit');
    this.expireUnresolved();
    await this.sampleDepth(session);
    return messages.length;
  }

  /** The records of a batch, and how many of its messages were already in Kafka. */
  private recordsOf(messages: readonly QueueMessage[]): { records: OutgoingRecord[]; discarded: number } {
    const { queueManager, queue, topic, key, deadLetterTopic } = this.settings;
    const records: OutgoingRecord[] = [];
    let discarded = 0;
    for (const m of messages) {
      const id = hex(m.messageId);
      if (this.unresolved.delete(id)) {
        this.at('during-recovery');
        discarded++;
        continue;
      }
      const raw = rawRecord({ queueManager, queue }, topic, key, m);
      const letter = this.deadLetterReason(m, raw);
      records.push(letter ? deadLetter(raw, deadLetterTopic, letter.reason, letter.error) : raw);
    }
    return { records, discarded };
  }

  private deadLetterReason(
    m: QueueMessage,
    raw: OutgoingRecord,
  ): { reason: DeadLetterReason; error: string } | undefined {
    if (m.backoutCount >= this.threshold)
      return {
        reason: 'backout-threshold',
        error: `backed out ${m.backoutCount} times, the threshold is ${this.threshold}: the replicator or Kafka failed on each delivery of it`,
      };
    const limit = this.settings.maxRecordBytes ?? MAX_RECORD_BYTES;
    if (isTooLarge(raw, limit))
      return {
        reason: 'too-large',
        error: `the record would be larger than ${limit} bytes (body ${m.body.length} bytes), more than Kafka accepts; the body is not in this letter`,
      };
    return undefined;
  }

  /** One Kafka transaction: records, then the state; false when it failed and the replicator recovered. */
  private async commitToKafka(records: OutgoingRecord[], state: ReplicatorState): Promise<boolean> {
    const producer = this.producer;
    if (!producer) throw new Error('the replicator has no producer: step() opens it first');
    let txn: SourceTransaction | undefined;
    try {
      txn = await producer.begin();
      // Two sends, so that a crash can fall between them (a real producer may send both in one request).
      const half = Math.ceil(records.length / 2);
      await txn.send(records.slice(0, half));
      this.at('during-produce');
      if (half < records.length) await txn.send(records.slice(half));
      this.at('before-kafka-commit');
      const endKafkaCommit = metrics.kafkaCommit.startTimer(this.labels);
      await txn.commit(encodeState(state));
      endKafkaCommit();
      return true;
    } catch (e) {
      if (this.crashed) throw e;
      await this.kafkaFailed(e);
      return false;
    }
  }

  private count(
    messages: readonly QueueMessage[],
    records: readonly OutgoingRecord[],
    discarded: number,
  ): void {
    const { stats, labels } = this;
    const letters = records.filter((r) => r.topic === this.settings.deadLetterTopic);
    const replicated = records.length - letters.length;
    stats.batches++;
    stats.messages += replicated;
    stats.deadLetters += letters.length;
    stats.recoveryDiscards += discarded;
    metrics.batches.inc(labels);
    metrics.messages.inc(labels, replicated);
    for (const l of letters) {
      const reason = String(l.headers['stockline.dlq.reason']);
      metrics.deadLetters.inc({ ...labels, reason });
      this.log.warn(
        { ...this.context, messageId: l.headers['mq.msgId'], reason },
        'message sent to the dead-letter topic',
      );
    }
    if (discarded > 0) {
      metrics.recoveryDiscards.inc(labels, discarded);
      this.log.info(
        { ...this.context, recoveryDiscards: discarded },
        `recovery: ${discarded} message(s) handed back were already in Kafka, consumed and not produced again`,
      );
    }
    const last = messages[messages.length - 1];
    if (last) metrics.lag.set(labels, Math.max(0, (this.now() - last.putTime.getTime()) / 1000));
  }

  /** Recovery (research/mq.md §4A): every id of `state` may come back and is already in Kafka. */
  private recoverFrom(state: ReplicatorState): void {
    this.committed = state;
    this.unresolved = new Set([...state.ids, ...state.unresolved]);
    // They are in the unresolved ids now (the state that says so carried them).
    this.unconfirmed = [];
    this.unresolvedSince = this.now();
    this.stats.recoveries++;
    this.log.info(
      { ...this.context, seq: state.seq, unresolved: this.unresolved.size },
      'recovering: messages of the last batch handed back by the queue will not be produced again',
    );
  }

  private expireUnresolved(): void {
    if (this.unresolved.size === 0) return;
    if (this.now() - this.unresolvedSince < (this.settings.unresolvedTtlMs ?? DEFAULT_UNRESOLVED_TTL_MS))
      return;
    this.log.info(
      { ...this.context, expired: this.unresolved.size },
      'ids of an uncertain queue commit never came back: that unit of work was committed',
    );
    this.unresolved.clear();
  }

  /** Retries an open while it fails with a retriable error (QueueBusyError on a standby, a broker away). */
  private async retrying<T>(what: string, open: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open();
      } catch (e) {
        const retriable = e instanceof StocklineError && e.retriable && !(e instanceof ProducerFencedError);
        if (!retriable || this.options.signal?.aborted) throw e;
        if (attempt === 1 || attempt % 30 === 0)
          this.log.warn(
            { ...this.context, err: e, attempt },
            `cannot ${what} yet, trying again: ${describeError(e)}`,
          );
        await sleep(this.settings.retryDelayMs ?? 1000);
      }
    }
  }

  private async openProducer(): Promise<TransactionalProducer> {
    const producer = await this.retrying('start the Kafka transactional producer', () =>
      this.ports.openProducer(),
    );
    this.producer = producer;
    this.recoverFrom(decodeState(producer.startPosition, this.context));
    return producer;
  }

  private async openSession(): Promise<ReplicatorSession> {
    const session = await this.retrying('open the queue', () => this.ports.openSession());
    try {
      this.threshold = (await session.backoutThreshold()) ?? this.settings.defaultBackoutThreshold;
    } catch (e) {
      await session.close().catch(() => undefined);
      throw e;
    }
    this.session = session;
    metrics.holding.set(this.labels, 1);
    this.log.info({ ...this.context, backoutThreshold: this.threshold }, 'holding the queue');
    return session;
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    metrics.holding.set(this.labels, 0);
    if (!session) return;
    // Bounded: a close on a connection that just died may never answer (the broker backs the
    // unit of work out by itself when it notices).
    const closing = session.close();
    const gaveUp = await Promise.race([
      closing.then(() => false),
      sleep(CLOSE_TIMEOUT_MS, true, { ref: false }),
    ]);
    if (gaveUp) {
      closing.catch(() => undefined);
      this.log.warn(this.context, `closing the queue session took over ${CLOSE_TIMEOUT_MS} ms; left behind`);
    }
  }

  /**
   * The queue failed: the session is dropped (its unit of work backed out, or already gone) and
   * reopened at the next step. `state` is what Kafka has: after an uncertain commit, the batch.
   */
  private async queueFailed(call: string, e: unknown, state: ReplicatorState): Promise<void> {
    this.log.warn({ ...this.context, err: e }, `the queue's ${call} failed, recovering: ${describeError(e)}`);
    await this.closeSession().catch((err: unknown) => this.log.debug({ err }, 'closing the failed session'));
    this.recoverFrom(state);
  }

  /**
   * The Kafka transaction failed. Fenced: another instance owns the queue now, so this one backs
   * out and stops. Otherwise the queue's unit of work is backed out, and a new producer reads the
   * last committed state back: had the commit gone through after all, its ids become unresolved.
   */
  private async kafkaFailed(e: unknown): Promise<void> {
    await this.session?.backout().catch(() => this.closeSession().catch(() => undefined));
    if (e instanceof ProducerFencedError) throw e;
    this.log.warn(
      { ...this.context, err: e },
      `the Kafka transaction failed, recovering: ${describeError(e)}`,
    );
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close().catch((err: unknown) => this.log.debug({ err }, 'closing the failed producer'));
    if (!(e instanceof StocklineError && e.retriable)) throw e;
    await this.openProducer();
  }

  private async sampleDepth(session: ReplicatorSession): Promise<void> {
    if (this.now() - this.lastDepthSample < DEPTH_SAMPLE_MS) return;
    this.lastDepthSample = this.now();
    try {
      this.stats.queueDepth = await session.depth();
      metrics.queueDepth.set(this.labels, this.stats.queueDepth);
    } catch (e) {
      this.log.debug({ ...this.context, err: e }, 'cannot read the queue depth');
    }
  }
}
