// The SAP capture's core: the fast path, the sweep and the initial load over a SapSource, each
// step one Kafka transaction of records + state (README.md says why this is safe).
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { DateTime } from 'luxon';
import type { OutgoingRecord, SourceTransaction } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import {
  MIN_KEY,
  type BucketLength,
  type EntryPoint,
  type MatdocRow,
  type SapSource,
  type SourceValues,
} from '../sap/port.js';
import type { CrashHook } from './crash.js';
import { mardRecord, matdocRecord, type RecordTarget, type SnapshotMark } from './records.js';
import type { CapturedKeys } from './state.js';
import { encodePosition, keyText, type CapturePosition } from './state.js';

/** What the core needs to know (compiled from the `sap` section by options.ts). */
export interface CaptureCoreOptions {
  /** The source's key on the state topic (and the prefix of its segment records). */
  readonly source: string;
  readonly stateTopic: string;
  readonly target: RecordTarget;
  readonly matdocTable: string;
  readonly mardTable: string;
  /** IANA zone of the entry times. */
  readonly timeZone: string;
  readonly safetyLagMs: number;
  readonly lookBackMs: number;
  readonly bucketLength: BucketLength;
  readonly batchSize: number;
  readonly initialLoad: boolean;
  readonly initialLoadId: string;
}

/** Where the core writes: the TransactionalProducer's `begin` (a fake in unit tests). */
export interface TransactionSink {
  begin(): Promise<SourceTransaction>;
}

export interface CaptureFigures {
  /** MATDOC rows written to Kafka (fast path, sweep and initial load). */
  rows: number;
  /** Of them, found by the sweep: committed later than the safety lag allowed. */
  sweepFinds: number;
  /** MARD rows written by initial loads. */
  levels: number;
  polls: number;
  sweeps: number;
  transactions: number;
  /** Rows a poll read that were captured already (never written twice). */
  skipped: number;
  /** Buckets where SAP holds fewer rows than were captured (rows deleted or archived in SAP). */
  shrunkBuckets: number;
}

/** Called after each committed step, for metrics. */
export interface CaptureObserver {
  committed?(what: 'poll' | 'sweep' | 'load', rows: number): void;
  /** Seconds between SAP's clock and the newest entry time read up to. */
  lag?(seconds: number): void;
}

const ENTRY_FORMAT = 'yyyyLLddHHmmss';
const RECORDS_PER_SEND = 2000;

/** Point order: entry, then the key fields, as text. */
export function comparePoints(a: EntryPoint, b: EntryPoint): number {
  const ka = [a.entry, a.key.MANDT, a.key.MJAHR, a.key.MBLNR, a.key.ZEILE];
  const kb = [b.entry, b.key.MANDT, b.key.MJAHR, b.key.MBLNR, b.key.ZEILE];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
}

const pointOf = (row: MatdocRow): EntryPoint => ({ entry: row.entry, key: row.key });

/** MARD's stock fields by MATDOC stock type (LBBSA_SID; research/sap.md §A3). */
const MARD_FIELD_OF_STOCK_TYPE: Readonly<Record<string, string>> = {
  '01': 'LABST',
  '02': 'INSME',
  '03': 'RETME',
  '04': 'UMLME',
  '07': 'SPEME',
  '08': 'EINME',
};

/**
 * MARD as of the start of the window: the cut's MARD minus what the window's movements in the
 * cut did to it, so that level + those movements (emitted too) = the cut's MARD, and a movement
 * of the window that committed after the cut is added once on top. A movement counts towards
 * the MARD field of its stock type (LBBSA_SID; without that column: LABST), not when it is
 * special stock (SOBKZ set: MARD does not hold it); its signed quantity is STOCK_QTY, without
 * that column MENGE, negative when SHKZG is H.
 */
export function mardAsOfWindowStart(
  mard: readonly SourceValues[],
  included: readonly MatdocRow[],
): SourceValues[] {
  const keyOf = (v: SourceValues) => JSON.stringify([v.MANDT, v.MATNR, v.WERKS, v.LGORT]);
  const deltas = new Map<string, Map<string, Decimal>>();
  for (const row of included) {
    const v = row.values;
    if ((v.SOBKZ ?? '') !== '') continue;
    const field = 'LBBSA_SID' in v ? MARD_FIELD_OF_STOCK_TYPE[v.LBBSA_SID ?? ''] : 'LABST';
    if (field === undefined) continue;
    let quantity: Decimal;
    if ('STOCK_QTY' in v) quantity = new Decimal(v.STOCK_QTY ?? '0');
    else quantity = new Decimal(v.MENGE ?? '0').times(v.SHKZG === 'H' ? -1 : 1);
    const key = keyOf(v);
    const fields = deltas.get(key) ?? new Map<string, Decimal>();
    fields.set(field, (fields.get(field) ?? new Decimal(0)).plus(quantity));
    deltas.set(key, fields);
  }
  return mard.map((m) => {
    const fields = deltas.get(keyOf(m));
    if (fields === undefined) return m;
    const adjusted: Record<string, string | null> = { ...m };
    for (const [field, delta] of fields) {
      const original = m[field];
      if (original === undefined || original === null) continue;
      const scale = original.includes('.') ? original.length - original.indexOf('.') - 1 : 0;
      adjusted[field] = new Decimal(original).minus(delta).toFixed(scale);
    }
    return adjusted;
  });
}

/** Figures that count from zero: a session's, and the role's totals over its sessions. */
export const noFigures = (): CaptureFigures => ({
  rows: 0,
  sweepFinds: 0,
  levels: 0,
  polls: 0,
  sweeps: 0,
  transactions: 0,
  skipped: 0,
  shrunkBuckets: 0,
});

export class SapCapture {
  readonly figures: CaptureFigures = noFigures();
  /** ms since the epoch of the last poll that succeeded; 0 before the first. */
  lastPollAt = 0;
  private readonly run = randomUUID().slice(0, 8);

  constructor(
    private readonly source: SapSource,
    private readonly sink: TransactionSink,
    private readonly options: CaptureCoreOptions,
    private position: CapturePosition | null,
    private readonly captured: CapturedKeys,
    private readonly log: Logger,
    private readonly crash: CrashHook = () => undefined,
    private readonly observer: CaptureObserver = {},
  ) {}

  /** The committed position (null before the first transaction). */
  get committed(): CapturePosition | null {
    return this.position;
  }

  /** The keys captured per bucket of the window. */
  get keys(): CapturedKeys {
    return this.captured;
  }

  /** SAP local entry time 'YYYYMMDDHHMMSS' of an instant. */
  entryOf(ms: number): string {
    return DateTime.fromMillis(ms, { zone: this.options.timeZone }).toFormat(ENTRY_FORMAT);
  }

  /** The instant of an entry time (ms since the epoch). */
  msOf(entry: string): number {
    return DateTime.fromFormat(entry, ENTRY_FORMAT, { zone: this.options.timeZone }).toMillis();
  }

  private bucketOf(entry: string): string {
    return entry.slice(0, this.options.bucketLength);
  }

  /** The first bucket of the look-back window at `clockMs`. */
  firstBucket(clockMs: number): string {
    return this.bucketOf(this.entryOf(clockMs - this.options.lookBackMs));
  }

  /** Whether the capture has to load first: no position yet, or a new sap.initialLoadId. */
  get needsInitialLoad(): boolean {
    if (this.position === null) return this.options.initialLoad;
    return this.options.initialLoadId !== '' && this.position.loadId !== this.options.initialLoadId;
  }

  /**
   * One Kafka transaction: the records, the state records of the keys added, the position.
   * The memory takes the change in only once Kafka committed it.
   */
  private async commit(
    records: readonly OutgoingRecord[],
    rows: readonly MatdocRow[],
    point: EntryPoint,
    loadId: string,
    clockMs: number,
  ): Promise<void> {
    const seq = (this.position?.seq ?? 0) + 1;
    const added = new Map<string, string[]>();
    for (const row of rows) {
      const bucket = this.bucketOf(row.entry);
      const key = keyText(row.key);
      if (this.captured.has(bucket, key)) continue;
      const list = added.get(bucket) ?? [];
      list.push(key);
      added.set(bucket, list);
    }
    const { records: state, change } = this.captured.plan(
      this.options.source,
      this.options.stateTopic,
      `${this.run}.${seq}`,
      added,
      this.firstBucket(clockMs),
    );
    const next: CapturePosition = { v: 1, seq, point, loadId, run: this.run };
    const tx = await this.sink.begin();
    try {
      for (let i = 0; i < records.length; i += RECORDS_PER_SEND) {
        await tx.send(records.slice(i, i + RECORDS_PER_SEND));
        this.crash('during-produce');
      }
      if (state.length > 0) await tx.send(state);
      this.crash('before-kafka-commit');
    } catch (e) {
      await tx.abort().catch(() => undefined);
      throw e;
    }
    // commit() aborts by itself when it fails (the port's contract).
    await tx.commit(encodePosition(next));
    this.crash('after-kafka-commit');
    this.position = next;
    this.captured.apply(change);
    this.figures.transactions++;
  }

  private matdocRecords(rows: readonly MatdocRow[], op: 'c' | 'r', last: boolean): OutgoingRecord[] {
    const now = Date.now();
    return rows.map((row, i) => {
      const snapshot: SnapshotMark = op === 'c' ? undefined : last && i === rows.length - 1 ? 'last' : 'true';
      return matdocRecord(
        this.options.target,
        this.options.matdocTable,
        row,
        this.msOf(row.entry),
        op,
        snapshot,
        now,
      );
    });
  }

  /**
   * The initial load (research/sap.md §A6): in one snapshot, MARD and the window's MATDOC rows;
   * MARD as of the window's start as read records (op r) on the MARD topic, the window's rows as
   * read records on the MATDOC topic, all in ONE transaction with their keys and the position
   * after the last of them. Rows the cut does not hold come later: after that position by the
   * fast path, before it by the sweep.
   */
  async initialLoad(): Promise<void> {
    const clock0 = await this.source.clock();
    const firstBucket = this.firstBucket(clock0);
    const from = firstBucket.padEnd(14, '0');
    const cut = await this.source.readCut(from);
    this.crash('during-initial-load');
    const asOfMs = this.msOf(from) - 1000;
    const asOfEntry = this.entryOf(asOfMs);
    const now = Date.now();
    const mard = mardAsOfWindowStart(cut.mard, cut.included);
    const records = [
      ...mard.map((values, i) =>
        mardRecord(
          this.options.target,
          this.options.mardTable,
          values,
          asOfEntry,
          asOfMs,
          cut.included.length === 0 && i === mard.length - 1 ? 'last' : 'true',
          now,
        ),
      ),
      ...this.matdocRecords(cut.included, 'r', true),
    ];
    let point: EntryPoint = { entry: from, key: MIN_KEY };
    const lastIncluded = cut.included.at(-1);
    if (lastIncluded !== undefined) point = pointOf(lastIncluded);
    if (this.position !== null && comparePoints(this.position.point, point) > 0) point = this.position.point;
    await this.commit(records, cut.included, point, this.options.initialLoadId, cut.clockMs);
    this.figures.rows += cut.included.length;
    this.figures.levels += mard.length;
    this.observer.committed?.('load', cut.included.length);
    this.log.info(
      { mard: mard.length, movements: cut.included.length, windowFrom: from, point },
      'SAP capture: initial load committed (MARD as of the window start, and the movements of the window)',
    );
  }

  /** Starts a capture without a position and without an initial load: at the window's start. */
  async startWithoutLoad(): Promise<void> {
    const clock = await this.source.clock();
    const point: EntryPoint = { entry: this.firstBucket(clock).padEnd(14, '0'), key: MIN_KEY };
    await this.commit([], [], point, this.options.initialLoadId, clock);
  }

  /**
   * The fast path: the rows after the position with an entry time at least the safety lag older
   * than SAP's clock, in source order, one transaction. Returns how many it read (batchSize:
   * more are waiting).
   */
  async poll(): Promise<number> {
    const position = this.position;
    if (position === null) throw new Error('the SAP capture polls before it has a position');
    const clock = await this.source.clock();
    const upTo = this.entryOf(clock - this.options.safetyLagMs);
    const rows = await this.source.readAfter(position.point, upTo, this.options.batchSize);
    this.figures.polls++;
    this.lastPollAt = Date.now();
    if (rows.length === 0) {
      this.observer.lag?.(this.options.safetyLagMs / 1000);
      return 0;
    }
    this.crash('after-read');
    const fresh = rows.filter((r) => !this.captured.has(this.bucketOf(r.entry), keyText(r.key)));
    this.figures.skipped += rows.length - fresh.length;
    const last = rows.at(-1)!;
    await this.commit(this.matdocRecords(fresh, 'c', false), fresh, pointOf(last), position.loadId, clock);
    this.figures.rows += fresh.length;
    this.observer.committed?.('poll', fresh.length);
    this.observer.lag?.(
      rows.length < this.options.batchSize
        ? this.options.safetyLagMs / 1000
        : (clock - this.msOf(last.entry)) / 1000,
    );
    return rows.length;
  }

  /**
   * The sweep: per bucket of the window up to the position, SAP's row count against the keys
   * captured; for a bucket that differs, its rows, and the ones not captured (committed after
   * the fast path passed their entry time) in transactions of at most batchSize. Returns how
   * many it found.
   */
  async sweep(): Promise<number> {
    const position = this.position;
    if (position === null) throw new Error('the SAP capture sweeps before it has a position');
    const clock = await this.source.clock();
    const firstBucket = this.firstBucket(clock);
    const from = firstBucket.padEnd(14, '0');
    this.figures.sweeps++;
    if (position.point.entry < from) return 0;
    const counts = await this.source.bucketCounts(from, position.point, this.options.bucketLength);
    const missing: MatdocRow[] = [];
    const buckets = new Set([
      ...counts.keys(),
      ...this.captured.bucketNames().filter((b) => b >= firstBucket),
    ]);
    for (const bucket of [...buckets].sort()) {
      const inSap = counts.get(bucket) ?? 0;
      const captured = this.captured.count(bucket);
      if (inSap === captured) continue;
      if (inSap < captured) {
        this.figures.shrunkBuckets++;
        this.log.warn(
          { bucket, inSap, captured },
          'SAP capture: SAP holds fewer MATDOC rows in this entry bucket than were captured (rows deleted or archived in SAP?); rows missing from it may then go unnoticed',
        );
      }
      for (const row of await this.source.readBucket(bucket, position.point))
        if (!this.captured.has(bucket, keyText(row.key))) missing.push(row);
    }
    if (missing.length === 0) return 0;
    this.crash('during-sweep');
    for (let i = 0; i < missing.length; i += this.options.batchSize) {
      const rows = missing.slice(i, i + this.options.batchSize);
      await this.commit(this.matdocRecords(rows, 'c', false), rows, position.point, position.loadId, clock);
      this.figures.rows += rows.length;
      this.figures.sweepFinds += rows.length;
      this.observer.committed?.('sweep', rows.length);
    }
    this.log.info(
      {
        found: missing.length,
        keys: missing.slice(0, 10).map((r) => `${r.key.MJAHR}/${r.key.MBLNR}/${r.key.ZEILE}`),
      },
      'SAP capture: the sweep found rows committed after the fast path passed their entry time (late commits)',
    );
    return missing.length;
  }
}
