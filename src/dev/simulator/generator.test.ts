import { expect } from 'chai';
import { stockKey } from '../../canonical/identity.js';
import { ActivityGenerator, defaultSettings } from './generator.js';
import { stockEffects, type StockEffect } from './effects.js';
import { ExpectedLedger } from './ledger.js';
import { MICROS_PER_SECOND } from './source-time.js';
import { generateRun, TEST_START } from '../../../test/support/simulated-run.js';
import { buildWorld } from './world.js';
import { ZipfSampler } from './zipf.js';
import type { SourceWrite } from './writes.js';

const CANONICAL_SKU = /^[A-Za-z0-9._:/-]{1,40}$/;
const skuOf = (w: SourceWrite): string =>
  w.kind === 'matdoc' ? w.row.MATNR.replace(/^0+/, '') : w.kind === 'whmove' ? w.record['WM-SKU'] : w.row.sku;

describe('simulator: activity generation', () => {
  describe('determinism', () => {
    it('the same seed and options give the same writes', () => {
      const a = generateRun({ seed: 42, events: 3000 });
      const b = generateRun({ seed: 42, events: 3000 });
      expect(a.writes).to.deep.equal(b.writes);
    });

    it('another seed gives other writes', () => {
      const a = generateRun({ seed: 42, events: 500 });
      const b = generateRun({ seed: 43, events: 500 });
      expect(a.writes).to.not.deep.equal(b.writes);
    });

    it('another start time shifts the times only', () => {
      const shift = 3600 * MICROS_PER_SECOND;
      const a = generateRun({ seed: 5, events: 500 });
      const b = generateRun({ seed: 5, events: 500, start: TEST_START + shift });
      expect(b.writes.map((w) => [w.kind, w.at - shift, skuOf(w)])).to.deep.equal(
        a.writes.map((w) => [w.kind, w.at, skuOf(w)]),
      );
    });

    it('writes exactly the number of events asked for, whatever the size of the last action', () => {
      for (const events of [1, 2, 7, 333])
        expect(generateRun({ seed: events, events }).writes).to.have.length(events);
    });
  });

  describe('realism', () => {
    const { writes, world } = generateRun({ seed: 9, events: 30_000, world: { items: 200 } });
    const sales = writes.flatMap((w) => (w.kind === 'sale_line' ? [w.row] : []));

    it('sales are most of the volume, and every source gets its share', () => {
      const share = (predicate: (w: SourceWrite) => boolean) =>
        writes.filter(predicate).length / writes.length;
      expect(share((w) => w.kind === 'sale_line')).to.be.within(0.7, 0.85);
      for (const system of ['store-pg', 'store-maria', 'sap', 'mainframe'])
        expect(
          share((w) => w.system === system),
          system,
        ).to.be.above(0.03);
      for (const kind of ['goods_receipt', 'transfer_shipped', 'transfer_received', 'stock_count'])
        expect(
          share((w) => w.kind === kind),
          kind,
        ).to.be.above(0.002);
    });

    it('about 5% of sale lines are returns (negative lines)', () => {
      const returns = sales.filter((s) => s.quantity.startsWith('-')).length / sales.length;
      expect(returns).to.be.within(0.035, 0.065);
    });

    it('sales are skewed towards popular items: the top 10% of items sell more than half the lines', () => {
      const bySku = new Map<string, number>();
      for (const s of sales) bySku.set(s.sku, (bySku.get(s.sku) ?? 0) + 1);
      const counts = [...bySku.values()].sort((a, b) => b - a);
      const top = counts.slice(0, world.items.length / 10).reduce((a, b) => a + b, 0);
      expect(top / sales.length).to.be.above(0.5);
      expect(bySku.get(world.items[0]!.sku)).to.equal(counts[0]);
    });

    it('northern locations write to the store PostgreSQL, southern ones to MariaDB', () => {
      for (const w of writes) {
        if (w.kind !== 'sale_line' && w.kind !== 'goods_receipt' && w.kind !== 'stock_count') continue;
        const north = ['S001', 'S002', 'S003', 'W001'].includes(w.row.location_id);
        expect(w.system, `${w.kind} at ${w.row.location_id}`).to.equal(north ? 'store-pg' : 'store-maria');
      }
    });

    it("SKUs are the run's own, fit the canonical pattern, WHMOVE (18) and SAP (MATNR padded to 18)", () => {
      for (const w of writes) {
        const sku = skuOf(w);
        expect(sku.startsWith(world.skuPrefix), sku).to.equal(true);
        expect(sku).to.match(CANONICAL_SKU).and.have.length.at.most(18);
        if (w.kind === 'matdoc') expect(w.row.MATNR).to.have.length(18).and.match(/^0+S/);
      }
    });

    it('source keys are unique: till lines, receipt lines, transfer lines, SAP document lines, WHMOVE sequence numbers', () => {
      const keys = new Map<string, Set<string>>();
      const add = (what: string, key: string) => {
        const set = keys.get(what) ?? new Set<string>();
        keys.set(what, set);
        expect(set.has(key), `${what} ${key} twice`).to.equal(false);
        set.add(key);
      };
      for (const w of writes) {
        if (w.kind === 'sale_line') add(`sale ${w.system}`, `${w.row.sale_id}/${w.row.line_no}`);
        if (w.kind === 'goods_receipt') add(`receipt ${w.system}`, `${w.row.receipt_id}/${w.row.line_no}`);
        if (w.kind === 'transfer_shipped')
          add(`transfer ${w.system}`, `${w.row.transfer_id}/${w.row.line_no}`);
        if (w.kind === 'matdoc') add('matdoc', `${w.row.MBLNR}/${w.row.ZEILE}`);
        if (w.kind === 'whmove') {
          add(`whmove ${w.record['WM-WAREHOUSE-ID']}`, w.record['WM-SEQ-NO']);
          add('msgId', w.msgId);
        }
      }
      for (const id of [...(keys.get('sale store-pg') ?? [])].slice(0, 10))
        expect(Number.isSafeInteger(Number(id.split('/')[0])), id).to.equal(true);
    });

    it('a transfer line is received after it was shipped, at most once, and in the same database', () => {
      const shipped = new Map<string, SourceWrite>();
      let received = 0;
      for (const w of writes) {
        if (w.kind === 'transfer_shipped')
          shipped.set(`${w.system}:${w.row.transfer_id}/${w.row.line_no}`, w);
        if (w.kind !== 'transfer_received') continue;
        const key = `${w.system}:${w.row.transfer_id}/${w.row.line_no}`;
        const out = shipped.get(key);
        expect(out, `received ${key} was never shipped`).to.not.equal(undefined);
        expect(w.at - out!.at).to.be.at.least(MICROS_PER_SECOND);
        shipped.delete(key);
        received++;
      }
      expect(received).to.be.above(50);
    });

    it('after a count, nothing else happens to that item at that location while it is frozen', () => {
      const freeze = defaultSettings(1).countFreeze;
      const levels = new Map<string, number>();
      for (const w of writes) {
        for (const e of stockEffects(w)) {
          const key = stockKey(e.sku, e.location);
          const level = levels.get(key);
          if (level !== undefined && w.at > level)
            expect(w.at - level, `${w.kind} at ${key}`).to.be.above(freeze);
          if (w.kind === 'stock_count' || (w.kind === 'whmove' && w.record['WM-REC-TYPE'] === 'CT'))
            levels.set(key, w.at);
        }
      }
    });
  });

  describe('expected stock', () => {
    it('does not depend on how the writes of one 100 ms tick interleave across sources', () => {
      // The runner commits each source separately and applies its writes when it committed.
      const { writes } = generateRun({ seed: 3, events: 20_000, rate: 5000, world: { items: 30 } });
      const inOrder = new ExpectedLedger();
      for (const w of writes) inOrder.applyAll(stockEffects(w));
      const bySource = new ExpectedLedger();
      const tick = 100_000;
      for (let i = 0; i < writes.length;) {
        const end = writes[i]!.at + tick;
        const batch: SourceWrite[] = [];
        while (i < writes.length && writes[i]!.at < end) batch.push(writes[i++]!);
        for (const system of ['mainframe', 'sap', 'store-maria', 'store-pg'])
          for (const w of batch.filter((b) => b.system === system)) bySource.applyAll(stockEffects(w));
      }
      expect(bySource.rows()).to.deep.equal(inOrder.rows());
    });

    it('counts find roughly what the books say (never below zero)', () => {
      const { writes } = generateRun({ seed: 11, events: 20_000, world: { items: 20 } });
      const ledger = new ExpectedLedger();
      const gaps: number[] = [];
      for (const w of writes) {
        const effects: StockEffect[] = stockEffects(w);
        if (w.kind === 'stock_count') {
          const books = ledger.quantityOf(w.row.sku, w.row.location_id)?.toNumber() ?? 0;
          expect(Number(w.row.quantity)).to.be.at.least(0);
          if (books > 5) gaps.push(Math.abs(Number(w.row.quantity) - books));
        }
        ledger.applyAll(effects);
      }
      expect(gaps.length).to.be.above(10);
      expect(Math.max(...gaps)).to.be.at.most(3);
    });
  });

  describe('SAP goods movements, written the way SAP writes them', () => {
    const { writes } = generateRun({ seed: 12, events: 40_000, world: { items: 100 } });
    const sap = writes.flatMap((w) => (w.kind === 'matdoc' ? [w] : []));
    const lines = sap.map((w) => w.row);
    const byDocument = new Map<string, typeof sap>();
    for (const w of sap) byDocument.set(w.row.MBLNR, [...(byDocument.get(w.row.MBLNR) ?? []), w]);

    it('STOCK_QTY is MENGE signed by SHKZG; posting date, entry date and year agree', () => {
      for (const r of lines) {
        expect(r.STOCK_QTY, r.MBLNR).to.equal(r.SHKZG === 'H' ? `-${r.MENGE}` : r.MENGE);
        expect(r.BUDAT_MKPF).to.equal(r.CPUDT_MKPF);
        expect(r.MJAHR).to.equal(r.CPUDT_MKPF.slice(0, 4));
      }
    });

    it('receipts go mostly to unrestricted stock, some to quality inspection, blocked stock or consignment', () => {
      const receipts = lines.filter((r) => r.BWART === '101');
      const share = (p: (r: (typeof lines)[number]) => boolean) =>
        receipts.filter(p).length / receipts.length;
      expect(share((r) => r.LBBSA_SID === '01' && r.SOBKZ === '')).to.be.within(0.7, 0.9);
      expect(share((r) => r.LBBSA_SID === '02')).to.be.within(0.05, 0.15);
      expect(share((r) => r.LBBSA_SID === '07')).to.be.within(0.01, 0.08);
      expect(share((r) => r.SOBKZ === 'K')).to.be.within(0.01, 0.08);
    });

    it('quality inspection (321) and blocked stock (343) are released later: out of 02/07, into 01, one document', () => {
      for (const [BWART, from] of [
        ['321', '02'],
        ['343', '07'],
      ] as const) {
        const releases = [...byDocument.values()].filter((d) => d[0]!.row.BWART === BWART);
        expect(releases.length, BWART).to.be.above(5);
        for (const [out, into, ...rest] of releases) {
          expect(rest).to.have.length(0);
          expect([out!.row.SHKZG, out!.row.LBBSA_SID, into!.row.SHKZG, into!.row.LBBSA_SID]).to.deep.equal([
            'H',
            from,
            'S',
            '01',
          ]);
          expect(into!.row.MENGE).to.equal(out!.row.MENGE);
          // What is released was received into that stock type before, at that plant.
          const received = sap.find(
            (w) =>
              w.row.BWART === '101' &&
              w.row.LBBSA_SID === from &&
              w.row.MATNR === out!.row.MATNR &&
              w.row.WERKS === out!.row.WERKS &&
              w.row.MENGE === out!.row.MENGE,
          );
          expect(received, `${BWART} ${out!.row.MBLNR}`).to.not.equal(undefined);
          expect(received!.at + (received!.holdMs ?? 0) * 1000).to.be.below(out!.at);
        }
      }
    });

    it('a reversal (102) names an unrestricted receipt committed before it, and takes back its quantity', () => {
      const reversals = lines.filter((r) => r.BWART === '102');
      expect(reversals.length).to.be.above(5);
      for (const r of reversals) {
        const original = sap.find(
          (w) => w.row.MBLNR === r.SMBLN && w.row.MJAHR === r.SMBJP && w.row.ZEILE === r.SMBLP,
        );
        expect(original, r.MBLNR).to.not.equal(undefined);
        const o = original!.row;
        expect([o.BWART, o.LBBSA_SID, o.SOBKZ, o.MATNR, o.WERKS, o.ERFMG]).to.deep.equal([
          '101',
          '01',
          '',
          r.MATNR,
          r.WERKS,
          r.ERFMG,
        ]);
        expect(r.SHKZG).to.equal('H');
        const reversal = sap.find((w) => w.row === r)!;
        expect(original!.at + (original!.holdMs ?? 0) * 1000).to.be.below(reversal.at);
      }
      // Each document is reversed at most once.
      expect(new Set(reversals.map((r) => r.SMBLN)).size).to.equal(reversals.length);
    });

    it('document numbers come from per-server buffers: unique, but not in entry order', () => {
      const numbers = [...byDocument.keys()].map(Number);
      expect(new Set(numbers).size).to.equal(numbers.length);
      const outOfOrder = numbers.filter((n, i) => i > 0 && n < numbers[i - 1]!).length;
      expect(outOfOrder).to.be.above(numbers.length / 10);
      expect(Math.min(...numbers)).to.equal(7_000_000_001);
    });

    it('about 2% of documents are late commits, held open between half a second and 5 s', () => {
      const documents = [...byDocument.values()];
      const late = documents.filter((d) => d[0]!.holdMs !== undefined);
      expect(late.length / documents.length).to.be.within(0.01, 0.035);
      for (const d of late) {
        // Every line of a document is in its one transaction.
        expect(new Set(d.map((w) => w.holdMs)).size).to.equal(1);
        expect(d[0]!.holdMs).to.be.within(500, 5000);
      }
    });

    it('no late commits when their share is 0', () => {
      const run = generateRun({ seed: 12, events: 5000, settings: { sapLateShare: 0 } });
      expect(run.writes.some((w) => w.kind === 'matdoc' && w.holdMs !== undefined)).to.equal(false);
    });
  });

  it('a budget of one gives one write (the last event of a run)', () => {
    const world = buildWorld('B0D6E', { stores: 2, warehouses: 1, items: 5 }, 1);
    const generator = new ActivityGenerator(world, 1, defaultSettings(7_000_000_001));
    for (let i = 0; i < 500; i++) expect(generator.next(TEST_START + i * 1000, 1)).to.have.length(1);
  });

  it('with one warehouse, only W001, WH0001 and plants 1000/1100 are used', () => {
    const { writes } = generateRun({ seed: 2, events: 5000, world: { warehouses: 1 } });
    const locations = new Set(writes.flatMap((w) => stockEffects(w).map((e) => e.location)));
    expect(locations.has('W002')).to.equal(false);
    expect(locations.has('W001')).to.equal(true);
    expect(locations.has('S101')).to.equal(true);
  });
});

describe('simulator: Zipf sampler', () => {
  it('rank k is drawn in proportion to 1/(k+1)', () => {
    const zipf = new ZipfSampler(1000);
    const counts = new Array<number>(1000).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) counts[zipf.rank((i + 0.5) / draws)]!++;
    const harmonic = Array.from({ length: 1000 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
    expect(counts[0]! / draws).to.be.closeTo(1 / harmonic, 0.002);
    expect(counts[1]! / draws).to.be.closeTo(1 / 2 / harmonic, 0.002);
    // The top 10% of 1000 ranks: H(100) / H(1000), about 69%.
    expect(counts.slice(0, 100).reduce((a, b) => a + b, 0) / draws).to.be.within(0.68, 0.7);
  });

  it('covers every rank, and a single rank always', () => {
    expect(new ZipfSampler(1).rank(0.999)).to.equal(0);
    expect(new ZipfSampler(5).rank(0.999999)).to.equal(4);
    expect(new ZipfSampler(5).rank(0)).to.equal(0);
  });
});
