import { expect } from 'chai';
import { awaitStock, compareStock, differenceRows, tally, type StockReading } from './verify.js';

const expected = {
  'SA0001-00001@S001': { quantity: '12.5', unit: 'EA' },
  'SA0001-00001@W001': { quantity: '-3', unit: 'EA' },
  'SA0001-00002@S101': { quantity: '0', unit: 'KG' },
};
const row = (key: string, onHand: string, unit = 'EA'): StockReading => {
  const [sku = '', location = ''] = key.split('@');
  return { sku, location, onHand, unit };
};

describe('simulator: verify', () => {
  describe('compareStock', () => {
    it('compares quantities exactly as numbers, whatever the scale the database prints', () => {
      const c = compareStock(expected, [
        row('SA0001-00001@S001', '12.500000'),
        row('SA0001-00001@W001', '-3.000000'),
        row('SA0001-00002@S101', '0.000000', 'KG'),
      ]);
      expect(c).to.deep.equal({ expected: 3, matching: 3, differences: [] });
    });

    it('names every difference: a different quantity or unit, a missing row, a row not expected', () => {
      const c = compareStock(expected, [
        row('SA0001-00001@S001', '12.500001'),
        row('SA0001-00002@S101', '0', 'EA'),
        row('SA0001-00003@S002', '1'),
      ]);
      expect(c.matching).to.equal(0);
      expect(c.differences).to.deep.equal([
        {
          kind: 'differs',
          sku: 'SA0001-00001',
          location: 'S001',
          expected: { quantity: '12.5', unit: 'EA' },
          actual: { onHand: '12.500001', unit: 'EA' },
        },
        { kind: 'missing', sku: 'SA0001-00001', location: 'W001', expected: { quantity: '-3', unit: 'EA' } },
        {
          kind: 'differs',
          sku: 'SA0001-00002',
          location: 'S101',
          expected: { quantity: '0', unit: 'KG' },
          actual: { onHand: '0', unit: 'EA' },
        },
        { kind: 'unexpected', sku: 'SA0001-00003', location: 'S002', actual: { onHand: '1', unit: 'EA' } },
      ]);
    });
  });

  describe('awaitStock', () => {
    /** A pipeline catching up: each read returns the next state; a fake clock advances per wait. */
    function pipeline(states: StockReading[][]) {
      let now = 0;
      let reads = 0;
      return {
        read: () => Promise.resolve(states[Math.min(reads++, states.length - 1)]!),
        now: () => now,
        wait: (ms: number) => {
          now += ms;
          return Promise.resolve();
        },
        reads: () => reads,
      };
    }
    const full = [
      row('SA0001-00001@S001', '12.5'),
      row('SA0001-00001@W001', '-3'),
      row('SA0001-00002@S101', '0', 'KG'),
    ];

    it('waits while the rows arrive, and ends as soon as all match', async () => {
      const p = pipeline([[], [full[0]!], full.slice(0, 2), full]);
      const r = await awaitStock(p.read, expected, {
        timeoutMs: 60_000,
        settleMs: 10_000,
        now: p.now,
        wait: p.wait,
      });
      expect(r.ending).to.equal('matched');
      expect(p.reads()).to.equal(4);
    });

    it('stops early when the rows stopped changing: what differs then keeps differing', async () => {
      const p = pipeline([[], full.slice(0, 2)]);
      const r = await awaitStock(p.read, expected, {
        timeoutMs: 120_000,
        settleMs: 5_000,
        now: p.now,
        wait: p.wait,
      });
      expect(r.ending).to.equal('settled');
      expect(r.waitedMs).to.be.within(5_000, 7_000);
      expect(r.comparison.differences.map((d) => d.kind)).to.deep.equal(['missing']);
    });

    it('keeps waiting while no row of the run has arrived, until the timeout', async () => {
      const p = pipeline([[]]);
      const r = await awaitStock(p.read, expected, {
        timeoutMs: 30_000,
        settleMs: 5_000,
        now: p.now,
        wait: p.wait,
      });
      expect(r.ending).to.equal('timeout');
      expect(r.waitedMs).to.equal(30_000);
      expect(r.comparison.differences).to.have.length(3);
    });
  });
});

describe('verify: the report of differences', () => {
  const comparison = {
    expected: 4,
    matching: 1,
    differences: [
      {
        kind: 'differs' as const,
        sku: 'SK3F9A-00001',
        location: 'S001',
        expected: { quantity: '12', unit: 'EA' },
        actual: { onHand: '11.000000', unit: 'EA' },
      },
      {
        kind: 'missing' as const,
        sku: 'SK3F9A-00002',
        location: 'W001',
        expected: { quantity: '-3', unit: 'KG' },
      },
      {
        kind: 'unexpected' as const,
        sku: 'SK3F9A-00003',
        location: 'DC01',
        actual: { onHand: '1', unit: 'L' },
      },
    ],
  };

  it('counts matches and each kind of difference, like stockline verify', () => {
    expect(tally(comparison)).to.equal('1 match, 1 differ, 1 missing, 1 unexpected');
  });

  it('prints every difference with what was expected and what the table holds', () => {
    expect(differenceRows(comparison)).to.deep.equal([
      ['SK3F9A-00001', 'S001', '12 EA', '11.000000 EA', 'differs'],
      ['SK3F9A-00002', 'W001', '-3 KG', '(no row)', 'missing'],
      ['SK3F9A-00003', 'DC01', '(none)', '1 L', 'unexpected'],
    ]);
  });
});
