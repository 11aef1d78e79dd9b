import { expect } from 'chai';
import { differenceRows, tally } from './check.js';

describe('demo: the closing check', () => {
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
