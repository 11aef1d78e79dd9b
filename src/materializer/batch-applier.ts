import { setTimeout as sleep } from 'node:timers/promises';
import { stockKey } from '../canonical/identity.js';
import type { BatchControl, FetchedBatch } from '../kafka/batch-consumer.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import { StockDbError } from '../stock/errors.js';
import { STOCK_INTEGER_DIGITS } from '../stock/quantity.js';
import type { PartitionRef, StockKey, StockRow, StoredPosition } from '../stock/model.js';
import type { StockStore } from '../stock/store.js';
import { decodeBatch, rejection } from './decode.js';
import { PositionMismatchError } from './errors.js';
import type { MaterializerEvent, RawMessage } from './event.js';
import { planBatch, type BatchPlan } from './plan.js';
import type { StockPublisher } from './stock-publisher.js';

export interface BatchApplierOptions {
  groupId: string;
  topic: string;
  maxBatchEvents: number;
  store: StockStore;
  publisher: StockPublisher;
  /** Earliest and end offset of a partition of the topic. */
  partitionOffsets(partition: number): Promise<{ low: bigint; high: bigint }>;
  /** Best effort: Kafka's committed offset is for lag tools only, never read back. */
  commitToKafka(partition: number, next: bigint): Promise<void>;
  log: Logger;
  /** Aborts when the role stops: retries give up, the current batch is left unapplied. */
  signal: AbortSignal;
}

interface PartitionState extends StoredPosition {
  generation: number;
  /** The offset the next fetch of this partition must start at. */
  cursor: bigint;
  /**
   * Rows not on the stock topic yet because their publish failed (the topic deleted, refusing,
   * not authorized), newest per key: sent with the next publish after PUBLISH_PAUSE_MS.
   */
  pending: Map<string, StockRow>;
  /** A publish failed and not all its rows reached the topic since. */
  failing: boolean;
  /** More than MAX_PENDING_ROWS were pending: only a restart republishes (from `published`). */
  pendingLost: boolean;
  /** After a failed publish, the next one waits until then (ms); batches go on being applied. */
  publishAfterMs: number;
}

/** A partition's rows kept for the stock topic while it cannot be written (~350 B each). */
const MAX_PENDING_ROWS = 100_000;
/** Pause between publishes while the stock topic cannot be written. */
const PUBLISH_PAUSE_MS = 5000;

export interface ApplierStats {
  batches: number;
  events: number;
  applied: number;
  duplicates: number;
  beforeLevel: number;
  beforeHorizon: number;
  rejected: number;
  exactRetries: number;
  fenced: number;
  /** Milliseconds spent per phase (where the time of a batch goes; see README "Throughput"). */
  ms: { decode: number; plan: number; store: number; publish: number; publishWait: number };
}

/**
 * Applies the canonical topic's batches to the stock store exactly once.
 *
 * The database is the only truth about where a partition stands: its stored next offset moves
 * in the same statement as the stock. So on every new assignment the applier reads it, and a
 * batch that was not fetched exactly from the expected offset is dropped and the partition is
 * sought there (a restarted process, a rebalance, Kafka's own committed offset: none of them
 * can make it skip or repeat an event). The store's fence catches the rest: a consumer that
 * lost the partition while applying writes nothing.
 *
 * After each commit the changed rows go to the stock topic, while the partition's next batch is
 * applied (one publish in flight per partition, in order). The stored published offset trails
 * the next offset by what may not have reached the topic; after a crash the applier reads that
 * range again without applying it and publishes the current rows of its keys.
 */
export class BatchApplier {
  private generation = 0;
  private readonly partitions = new Map<number, PartitionState>();
  /** The publish in flight per partition; the next one starts after it, so rows stay in order. */
  private readonly publishing = new Map<number, Promise<void>>();
  /** The ledger's horizon as last read; it only moves forward (a batch that sees it moved re-plans). */
  private horizon: string | null | undefined;
  readonly stats: ApplierStats = {
    batches: 0,
    events: 0,
    applied: 0,
    duplicates: 0,
    beforeLevel: 0,
    beforeHorizon: 0,
    rejected: 0,
    exactRetries: 0,
    fenced: 0,
    ms: { decode: 0, plan: 0, store: 0, publish: 0, publishWait: 0 },
  };

  constructor(private readonly options: BatchApplierOptions) {}

  /** A rebalance happened: every partition's position is read again from the database. */
  onAssignment(): void {
    this.generation++;
  }

  async handle(batch: FetchedBatch, control: BatchControl): Promise<void> {
    const { log } = this.options;
    const state = await this.state(batch.partition);
    const fetchedFrom = batch.fetchedOffset ?? batch.firstOffset;
    if (fetchedFrom === null || BigInt(fetchedFrom) !== state.cursor) {
      log.debug(
        { partition: batch.partition, fetchedFrom, cursor: String(state.cursor) },
        'seeking to the stored position',
      );
      control.seek(state.cursor);
      return;
    }
    const replay: RawMessage[] = [];
    const fresh: RawMessage[] = [];
    for (const m of batch.records) (BigInt(m.offset) < state.next ? replay : fresh).push(m);

    if (replay.length > 0 && !(await this.republish(batch.partition, state, replay, control))) return;

    for (let i = 0; i < fresh.length; i += this.options.maxBatchEvents) {
      if (!control.isActive() || this.options.signal.aborted) return;
      const chunk = fresh.slice(i, i + this.options.maxBatchEvents);
      const last = chunk[chunk.length - 1]!;
      // The last chunk also covers control records that follow it (transaction markers).
      const end = i + chunk.length >= fresh.length ? BigInt(batch.lastOffset) + 1n : BigInt(last.offset) + 1n;
      if (!(await this.applyOrSplit(batch.partition, state, chunk, end, control))) return;
      control.resolveOffset(last.offset);
      await control.heartbeat();
    }
    state.cursor = BigInt(batch.lastOffset) + 1n;
    const lastRecord = batch.records[batch.records.length - 1];
    if (fresh.length === 0 && lastRecord) control.resolveOffset(lastRecord.offset);
  }

  /**
   * A fetch from the partition's cursor held only aborted transactions and markers (a mapper
   * transaction that failed): the client fetches on after them, and so does the cursor. The
   * stored position moves past them with the next batch applied. Without this, an aborted
   * transaction larger than a fetch stalled the partition: the next batch did not start at the
   * cursor, so the applier sought back to the aborted records, again and again.
   */
  onFilteredOut(partition: number, firstOffset: string, lastOffset: string): void {
    const state = this.partitions.get(partition);
    if (!state || state.generation !== this.generation || BigInt(firstOffset) !== state.cursor) return;
    state.cursor = BigInt(lastOffset) + 1n;
    this.options.log.debug(
      { partition, from: firstOffset, to: lastOffset },
      'fetch held only aborted transactions; moving past them',
    );
  }

  /** The partition's position for this assignment, read (and checked) once per assignment. */
  private async state(partition: number): Promise<PartitionState> {
    const known = this.partitions.get(partition);
    if (known && known.generation === this.generation) return known;
    const generation = this.generation;
    const ref = this.ref(partition);
    const { low, high } = await this.options.partitionOffsets(partition);
    const stored = await this.options.store.claimPosition(ref, low);
    const context = { ...ref, offset: String(stored.next), low: String(low), high: String(high) };
    if (stored.next < low)
      throw new PositionMismatchError(
        `partition ${partition} of ${ref.topic}: events from offset ${stored.next} on were never applied, but the topic now starts at ${low} (retention deleted them); rebuild the stock from a source snapshot`,
        context,
      );
    if (stored.next > high)
      throw new PositionMismatchError(
        `partition ${partition} of ${ref.topic}: the stored position ${stored.next} is beyond the end of the topic (${high}); was the topic deleted and created again? Delete this group's rows in materializer_positions only together with the stock they built`,
        context,
      );
    const published = stored.published < low ? low : stored.published;
    const state: PartitionState = {
      ...stored,
      published,
      generation,
      cursor: published < stored.next ? published : stored.next,
      pending: new Map(),
      failing: false,
      pendingLost: false,
      publishAfterMs: 0,
    };
    this.partitions.set(partition, state);
    this.options.log.info(
      { partition, next: String(state.next), published: String(state.published) },
      'partition position read from the stock database',
    );
    return state;
  }

  /** Publishes again the current rows of keys whose changes may not have reached the stock topic. */
  private async republish(
    partition: number,
    state: PartitionState,
    replay: RawMessage[],
    control: BatchControl,
  ): Promise<boolean> {
    const keys = new Map<string, StockKey>();
    for (const e of decodeBatch(replay).events) keys.set(stockKey(e.sku, e.location), e);
    const rows = await this.options.store.readRows([...keys.values()]);
    const published = await this.options.publisher.publish(rows, this.options.signal, () =>
      control.heartbeat(),
    );
    if (!published && (this.options.signal.aborted || !control.isActive())) return false;
    const end = BigInt(replay[replay.length - 1]!.offset) + 1n;
    state.cursor = end;
    if (!published) {
      // The stock topic cannot be written: apply on, and publish these rows with the next ones.
      this.publishFailed(partition, state, rows);
      return true;
    }
    state.published = end < state.next ? end : state.next;
    this.options.log.info(
      { partition, rows: rows.length, upTo: String(end) },
      'stock rows published again after a restart',
    );
    return true;
  }

  /**
   * Applies a chunk; when the statement fails because a stock row or total would exceed its
   * column (numeric(24,6) for a row: 18 integer digits; a single event carries at most 15, a sum
   * of them can overflow), applies the chunk in halves, down to the one event that overflows,
   * which is rejected with the reason (kept in stock_rejected_events) instead of stopping the role.
   */
  private async applyOrSplit(
    partition: number,
    state: PartitionState,
    messages: RawMessage[],
    end: bigint,
    control: BatchControl,
  ): Promise<boolean> {
    try {
      return await this.applyChunk(partition, state, messages, end, control);
    } catch (e) {
      if (!isOverflow(e)) throw e;
      if (messages.length === 1) {
        this.options.log.warn({ partition, offset: messages[0]!.offset }, 'event overflows its stock row');
        return this.applyChunk(partition, state, messages, end, control, OVERFLOW_REASON);
      }
      const half = Math.ceil(messages.length / 2);
      const first = messages.slice(0, half);
      const firstEnd = BigInt(first[first.length - 1]!.offset) + 1n;
      if (!(await this.applyOrSplit(partition, state, first, firstEnd, control))) return false;
      return this.applyOrSplit(partition, state, messages.slice(half), end, control);
    }
  }

  private async applyChunk(
    partition: number,
    state: PartitionState,
    messages: RawMessage[],
    end: bigint,
    control: BatchControl,
    /** Reject every event of the chunk for this reason instead of applying it. */
    rejectFor?: (e: MaterializerEvent) => string,
  ): Promise<boolean> {
    const { ms } = this.stats;
    const started = performance.now();
    const decoded = decodeBatch(messages);
    const { rejected } = decoded;
    let { events } = decoded;
    if (rejectFor) {
      for (const e of events) rejected.push(rejection(e.raw, rejectFor(e), e.id));
      events = [];
    }
    this.horizon ??= await this.options.store.ledgerHorizon();
    let t = performance.now();
    ms.decode += t - started;
    let plan = planBatch(events, rejected, undefined, this.horizon);
    let fresh = events;
    ms.plan += performance.now() - t;
    t = performance.now();
    let result = await this.applyWithRetry(partition, state, plan, end, control);
    ms.store += performance.now() - t;
    if (result?.status === 'guard-failed') {
      // Some movements were applied before (a re-delivery, a replay), a stored level bars some
      // events, a level arrived after movements that occurred after it, or the ledger's horizon
      // moved: plan again without the first, from the rows and ledger read.
      this.stats.exactRetries++;
      const { appliedBefore } = result;
      this.horizon = result.horizon;
      fresh = events.filter((e) => !appliedBefore.has(e.id));
      plan = planBatch(fresh, rejected, result.starts, this.horizon);
      plan.counts.duplicates += events.length - fresh.length;
      plan.counts.events += events.length - fresh.length;
      t = performance.now();
      result = await this.applyWithRetry(partition, state, plan, end, control);
      ms.store += performance.now() - t;
    }
    if (result === undefined) return false; // stopping
    if (result.status !== 'applied') {
      // Someone else applied this partition meanwhile: it is theirs now, or we start over from
      // what they stored.
      this.stats.fenced++;
      this.partitions.delete(partition);
      this.options.log.warn(
        { partition, expected: String(state.next) },
        'partition position moved under this consumer; reading it again',
      );
      control.seek((await this.state(partition)).cursor);
      return false;
    }
    state.next = end;
    state.cursor = end;
    this.count(plan);
    observeBatch(fresh, plan, performance.now() - started);
    for (const r of plan.rejected)
      this.options.log.error(
        { partition, offset: r.offset, key: r.key, eventId: r.eventId, reason: r.reason },
        'canonical event rejected (kept in stock_rejected_events)',
      );
    this.options.log.debug(
      {
        partition,
        upTo: String(end),
        ...plan.counts,
        rows: result.rows.length,
        ms: performance.now() - started,
      },
      'batch applied',
    );
    await this.publishAfter(partition, state, result.rows, end, control);
    await this.options.commitToKafka(partition, end);
    return true;
  }

  /**
   * Publishes the rows of a committed batch without waiting for Kafka: the next batch of the
   * partition is applied meanwhile. Waits only for the partition's previous publish, so at most
   * one is in flight per partition and the topic gets each key's rows in order. The stored
   * published offset moves (with the next batch's statement) only once Kafka has the rows; a
   * crash before that publishes them again from the table.
   *
   * A publish that fails (after the publisher's few attempts) stops nothing: its rows are kept
   * (newest per key) and sent with a later batch's rows, PUBLISH_PAUSE_MS later; the batches in
   * between are applied without waiting for Kafka. The published offset stays where the first
   * unpublished rows begin until all of them are on the topic, so a restart republishes them.
   */
  private async publishAfter(
    partition: number,
    state: PartitionState,
    rows: StockRow[],
    end: bigint,
    control: BatchControl,
  ): Promise<void> {
    const { ms } = this.stats;
    const previous = this.publishing.get(partition);
    if (previous) {
      const t = performance.now();
      await previous;
      ms.publishWait += performance.now() - t;
    }
    let sending = rows;
    if (state.failing) {
      this.keepPending(partition, state, rows);
      if (Date.now() < state.publishAfterMs) return;
      sending = state.pendingLost ? rows : [...state.pending.values()];
    }
    const t = performance.now();
    const publishing = this.options.publisher
      .publish(sending, this.options.signal, () => control.heartbeat())
      .then((published) => {
        if (!published) {
          // Not published (the topic cannot be written, or stopping): the stored published
          // offset stays behind; the rows go with a later publish, or a restart publishes them.
          if (!this.options.signal.aborted) this.publishFailed(partition, state, sending);
          return;
        }
        if (state.failing) {
          for (const r of sending) {
            const key = stockKey(r.sku, r.location);
            if (state.pending.get(key) === r) state.pending.delete(key);
          }
          if (state.pending.size > 0 || state.pendingLost) return;
          state.failing = false;
          this.options.log.info({ partition }, 'stock topic written again: it has caught up with the table');
        }
        if (state.published < end) state.published = end;
      })
      .catch((e: unknown) => this.options.log.warn({ err: e, partition }, 'publishing stock rows failed'))
      .finally(() => {
        ms.publish += performance.now() - t;
        if (this.publishing.get(partition) === publishing) this.publishing.delete(partition);
      });
    this.publishing.set(partition, publishing);
  }

  /** A publish gave up: keep its rows, pause publishing, go on applying. */
  private publishFailed(partition: number, state: PartitionState, rows: StockRow[]): void {
    if (!state.failing)
      this.options.log.warn(
        { partition, published: String(state.published), pauseMs: PUBLISH_PAUSE_MS },
        'stock topic not written: applying on, the topic catches up later',
      );
    state.failing = true;
    state.publishAfterMs = Date.now() + PUBLISH_PAUSE_MS;
    this.keepPending(partition, state, rows);
  }

  /** Keeps rows for a later publish (newest per key), up to MAX_PENDING_ROWS. */
  private keepPending(partition: number, state: PartitionState, rows: StockRow[]): void {
    if (state.pendingLost) return;
    for (const r of rows) state.pending.set(stockKey(r.sku, r.location), r);
    if (state.pending.size > MAX_PENDING_ROWS) {
      state.pending.clear();
      state.pendingLost = true;
      this.options.log.error(
        { partition, published: String(state.published) },
        'too many stock rows waiting for the stock topic: a restart of the role publishes them',
      );
    }
  }

  /** Resolves once every publish in flight has ended (stopping). */
  async flushPublishes(): Promise<void> {
    await Promise.all(this.publishing.values());
  }

  private async applyWithRetry(
    partition: number,
    state: PartitionState,
    plan: BatchPlan,
    end: bigint,
    control: BatchControl,
  ) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.store.applyBatch({
          partition: this.ref(partition),
          expectedNext: state.next,
          next: end,
          published: state.published,
          changes: plan.changes,
          rejected: plan.rejected,
          ledger: plan.ledger,
          earliestEventAt: plan.earliestEventAt,
        });
      } catch (e) {
        if (!(e instanceof StockDbError) || !e.retriable) throw e;
        // Rolled back: nothing was written, the same batch can be applied again.
        this.options.log.warn({ err: e, partition, attempt }, 'applying a batch failed; retrying');
        await sleep(Math.min(5000, 50 * 2 ** attempt), undefined, { signal: this.options.signal }).catch(
          () => undefined,
        );
        if (this.options.signal.aborted) return undefined;
        await control.heartbeat().catch(() => undefined);
      }
    }
  }

  private count(plan: BatchPlan): void {
    this.stats.batches++;
    this.stats.events += plan.counts.events;
    this.stats.applied += plan.counts.applied;
    this.stats.duplicates += plan.counts.duplicates;
    this.stats.beforeLevel += plan.counts.beforeLevel;
    this.stats.beforeHorizon += plan.counts.beforeHorizon;
    this.stats.rejected += plan.counts.rejected;
  }

  private ref(partition: number): PartitionRef {
    return { groupId: this.options.groupId, topic: this.options.topic, partition };
  }
}

/** SQLSTATE 22003: a value beyond its numeric column (a stock row's on_hand, a total). */
const isOverflow = (e: unknown): boolean =>
  e instanceof StockDbError && (e.cause as { code?: unknown } | undefined)?.code === '22003';

const OVERFLOW_REASON = (e: MaterializerEvent): string =>
  `quantity ${e.quantity.toFixed()} would take the stock of ${e.sku}@${e.location} (or its totals) beyond what the stock table holds ` +
  `(numeric(24,6): ${STOCK_INTEGER_DIGITS} integer digits; totals numeric(30,6))`;

/**
 * The batch in the service's metrics. The age of each event at the commit of its batch, from
 * its time in the source, is how fresh the stock view is: what operators alert on, and what
 * the benchmark reads as end-to-end latency.
 */
function observeBatch(events: MaterializerEvent[], plan: BatchPlan, ms: number): void {
  metrics.eventsApplied.inc(plan.counts.applied);
  metrics.eventsDuplicate.inc(plan.counts.duplicates);
  metrics.batchSize.observe(plan.counts.events);
  metrics.batchDuration.observe(ms / 1000);
  const now = Date.now();
  // One histogram child per system and reason: labels() looks it up by hashing, so once each.
  const children = new Map<string, (seconds: number) => void>();
  for (const e of events) {
    const label = `${e.system}\u0000${e.reason}`;
    let observe = children.get(label);
    if (!observe) {
      const child = metrics.eventAge.labels(e.system, e.reason);
      children.set(label, (observe = (seconds) => child.observe(seconds)));
    }
    observe((now - Date.parse(e.occurredAt)) / 1000);
  }
}
