import { expect } from 'chai';
import { createLogger } from '../observability/logger.js';
import type { BucketLength, EntryPoint, MatdocRow, SapSource, SourceValues } from '../sap/port.js';
import { FakeKafka } from '../../test/support/fake-transactional-producer.js';
import { comparePoints, mardAsOfWindowStart, SapCapture, type CaptureCoreOptions } from './capture.js';
import { decodePosition, SegmentFolder } from './state.js';

const log = createLogger({ level: 'silent' });
const ZONE = 'Europe/Berlin';

/** MATDOC in memory: rows are visible once committed; the clock is set by the test. */
class FakeSource implements SapSource {
  readonly driver = 'memory';
  clockMs = Date.parse('2026-11-27T10:00:00Z');
  readonly rows: { row: MatdocRow; committed: boolean }[] = [];
  mard: SourceValues[] = [];

  insert(mblnr: string, entry: string, committed = true, qty = '1.000'): MatdocRow {
    const key = { MANDT: '100', MJAHR: entry.slice(0, 4), MBLNR: mblnr, ZEILE: '0001' };
    const values: SourceValues = {
      ...key,
      CPUDT_MKPF: entry.slice(0, 8),
      CPUTM_MKPF: entry.slice(8),
      MATNR: '000000000000100200',
      WERKS: '1100',
      LGORT: '0001',
      SHKZG: 'S',
      MENGE: qty,
      ERFMG: qty,
      ERFME: 'ST',
      BWART: '101',
    };
    const row = { entry, key, values };
    this.rows.push({ row, committed });
    return row;
  }

  commit(mblnr: string): void {
    for (const r of this.rows) if (r.row.key.MBLNR === mblnr) r.committed = true;
  }

  private visible(): MatdocRow[] {
    return this.rows
      .filter((r) => r.committed)
      .map((r) => r.row)
      .sort((a, b) => comparePoints(a, b));
  }

  clock() {
    return Promise.resolve(this.clockMs);
  }
  columns() {
    return Promise.resolve([]);
  }
  readAfter(after: EntryPoint, upTo: string, limit: number) {
    return Promise.resolve(
      this.visible()
        .filter((r) => comparePoints(r, after) > 0 && r.entry <= upTo)
        .slice(0, limit),
    );
  }
  bucketCounts(from: string, through: EntryPoint, length: BucketLength) {
    const counts = new Map<string, number>();
    for (const r of this.visible())
      if (r.entry >= from && comparePoints(r, through) <= 0)
        counts.set(r.entry.slice(0, length), (counts.get(r.entry.slice(0, length)) ?? 0) + 1);
    return Promise.resolve(counts);
  }
  readBucket(bucket: string, through: EntryPoint) {
    return Promise.resolve(
      this.visible().filter((r) => r.entry.startsWith(bucket) && comparePoints(r, through) <= 0),
    );
  }
  readCut(from: string) {
    return Promise.resolve({
      clockMs: this.clockMs,
      mard: this.mard,
      included: this.visible().filter((r) => r.entry >= from),
    });
  }
  close() {
    return Promise.resolve();
  }
}

const options: CaptureCoreOptions = {
  source: 'sap-capture/sap/sapabap1/MATDOC',
  stateTopic: 'state',
  target: { name: 'sap', db: 'sap', schema: 'sapabap1' },
  matdocTable: 'MATDOC',
  mardTable: 'MARD',
  timeZone: ZONE,
  safetyLagMs: 10000,
  lookBackMs: 3600000 * 6,
  bucketLength: 10,
  batchSize: 2,
  initialLoad: false,
  initialLoadId: '',
};

/** A capture as a new process would start it: from what Kafka committed. */
async function started(source: FakeSource, kafka: FakeKafka, opts: CaptureCoreOptions = options) {
  const producer = await kafka.producer('tx', opts.source);
  const position = decodePosition(producer.startPosition, {});
  const folder = new SegmentFolder(opts.source);
  for (const r of kafka.topic(opts.stateTopic)) folder.add(String(r.key), r.value);
  const capture = new SapCapture(source, producer, opts, position, folder.keys(), log);
  if (capture.committed === null && !capture.needsInitialLoad) await capture.startWithoutLoad();
  if (capture.needsInitialLoad) await capture.initialLoad();
  return capture;
}

const matdocKeys = (kafka: FakeKafka) =>
  kafka.topic('sap.sapabap1.MATDOC').map((r) => (JSON.parse(String(r.key)) as { MBLNR: string }).MBLNR);

async function drain(capture: SapCapture) {
  while ((await capture.poll()) > 0);
}

describe('SAP capture core (in-memory source)', () => {
  it('captures rows older than the safety lag in source order, with the Debezium envelope the mappings read', async () => {
    const source = new FakeSource();
    const kafka = new FakeKafka();
    // 10:00Z is 11:00 in Berlin.
    source.insert('5000000002', '20261127105900');
    source.insert('5000000001', '20261127105900');
    source.insert('5000000003', '20261127105955'); // within the safety lag: not yet
    const capture = await started(source, kafka);
    await drain(capture);
    expect(matdocKeys(kafka)).to.deep.equal(['5000000001', '5000000002']);
    const value = JSON.parse(String(kafka.topic('sap.sapabap1.MATDOC')[0]!.value)) as {
      op: string;
      after: Record<string, string>;
      source: Record<string, unknown>;
    };
    expect(value.op).to.equal('c');
    expect(value.after.ERFMG).to.equal('1.000');
    expect(value.source).to.include({
      connector: 'sap-hana',
      name: 'sap',
      db: 'sap',
      schema: 'sapabap1',
      table: 'MATDOC',
    });
    expect(value.source.ts_ms).to.equal(Date.parse('2026-11-27T09:59:00Z'));
    expect(JSON.parse(String(value.source.sequence))).to.deep.equal([
      '20261127105900',
      '100',
      '2026',
      '5000000001',
      '0001',
    ]);
    source.clockMs += 10000;
    await drain(capture);
    expect(matdocKeys(kafka)).to.deep.equal(['5000000001', '5000000002', '5000000003']);
  });

  it('a row committed after later rows, with an older entry time, is captured once, by the sweep', async () => {
    const source = new FakeSource();
    const kafka = new FakeKafka();
    source.insert('5000000010', '20261127105000', false); // held open
    source.insert('5000000011', '20261127105100');
    const capture = await started(source, kafka);
    await drain(capture);
    expect(await capture.sweep()).to.equal(0);
    expect(matdocKeys(kafka)).to.deep.equal(['5000000011']);
    source.commit('5000000010');
    await drain(capture);
    expect(matdocKeys(kafka)).to.deep.equal(['5000000011'], 'the fast path is past it');
    expect(await capture.sweep()).to.equal(1);
    expect(await capture.sweep()).to.equal(0);
    expect(capture.figures.sweepFinds).to.equal(1);
    // A new process, from what Kafka holds, finds nothing more.
    const again = await started(source, kafka);
    expect(await again.sweep()).to.equal(0);
    await drain(again);
    expect(matdocKeys(kafka).sort()).to.deep.equal(['5000000010', '5000000011']);
  });

  it('a failed commit leaves nothing behind, and the next process resumes from the committed state without duplicates', async () => {
    const source = new FakeSource();
    const kafka = new FakeKafka();
    for (let i = 0; i < 7; i++) source.insert(`50000001${i}0`, `2026112710${String(10 + i)}00`);
    source.insert('5000000999', '20261127100500', false);
    const capture = await started(source, kafka);
    expect(await capture.poll()).to.equal(2);
    kafka.commitFailures.push('fails');
    let failed = false;
    await capture.poll().catch(() => (failed = true));
    expect(failed).to.equal(true);
    source.commit('5000000999');
    kafka.commitFailures.push('commits-then-fails');
    const second = await started(source, kafka);
    await second.poll().catch(() => undefined);
    const third = await started(source, kafka);
    await drain(third);
    await third.sweep();
    const keys = matdocKeys(kafka);
    expect(keys).to.have.length(8);
    expect(new Set(keys).size).to.equal(8);
  });

  it('the initial load: MARD as of the window start, the window movements as reads, then late and new rows once', async () => {
    const source = new FakeSource();
    const kafka = new FakeKafka();
    source.insert('5000000020', '20261127090000', true, '5.000');
    source.insert('5000000021', '20261127100000', false, '7.000'); // entered before the cut, commits after
    source.insert('5000000022', '20261127101000', true, '2.000');
    // MARD at the cut counts the committed ones: 100 before the window + 5 + 2.
    source.mard = [
      { MANDT: '100', MATNR: '000000000000100200', WERKS: '1100', LGORT: '0001', LABST: '107.000' },
    ];
    const capture = await started(source, kafka, { ...options, initialLoad: true });
    const mard = kafka
      .topic('sap.sapabap1.MARD')
      .map(
        (r) => JSON.parse(String(r.value)) as { op: string; after: SourceValues; source: { ts_ms: number } },
      );
    expect(mard).to.have.length(1);
    expect(mard[0]!.op).to.equal('r');
    expect(mard[0]!.after.LABST).to.equal('100.000');
    // The window starts at 05:00 Berlin (6 h back, hour buckets): the level is 1 s before it.
    expect(mard[0]!.source.ts_ms).to.equal(Date.parse('2026-11-27T03:59:59Z'));
    const reads = kafka
      .topic('sap.sapabap1.MATDOC')
      .map((r) => JSON.parse(String(r.value)) as { op: string; source: { snapshot?: string } });
    expect(reads.map((r) => r.op)).to.deep.equal(['r', 'r']);
    expect(reads.map((r) => r.source.snapshot)).to.deep.equal(['true', 'last']);
    source.commit('5000000021');
    source.insert('5000000023', '20261127103000', true, '1.000');
    await drain(capture);
    await capture.sweep();
    expect(matdocKeys(kafka)).to.deep.equal(['5000000020', '5000000022', '5000000023', '5000000021']);
  });

  it('mardAsOfWindowStart: a stock type goes to its field, special stock and other types are left out, STOCK_QTY is signed', () => {
    const row = (v: Record<string, string>): MatdocRow => ({
      entry: '20261127100000',
      key: { MANDT: '100', MJAHR: '2026', MBLNR: v.MBLNR ?? '1', ZEILE: '0001' },
      values: { MANDT: '100', MATNR: 'M', WERKS: 'W', LGORT: 'L', SOBKZ: '', ...v },
    });
    const [adjusted] = mardAsOfWindowStart(
      [{ MANDT: '100', MATNR: 'M', WERKS: 'W', LGORT: 'L', LABST: '10.000', INSME: '3.000', SPEME: '0.000' }],
      [
        row({ LBBSA_SID: '01', STOCK_QTY: '-2.000' }),
        row({ LBBSA_SID: '02', STOCK_QTY: '3.000' }),
        row({ LBBSA_SID: '01', STOCK_QTY: '4.000', SOBKZ: 'K' }),
        row({ LBBSA_SID: '', STOCK_QTY: '9.000' }),
      ],
    );
    expect(adjusted).to.deep.include({ LABST: '12.000', INSME: '0.000', SPEME: '0.000' });
  });
});
