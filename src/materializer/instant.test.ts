import { expect } from 'chai';
import { normalizeInstant } from './instant.js';

describe('normalizeInstant', () => {
  it('brings offsets to UTC and keeps microseconds', () => {
    expect(normalizeInstant('2024-05-01T10:00:00+02:00')).to.equal('2024-05-01T08:00:00.000000Z');
    expect(normalizeInstant('2024-05-01T10:00:00.123456789Z')).to.equal('2024-05-01T10:00:00.123456Z');
    expect(normalizeInstant('2024-05-01T00:30:00.5-01:00')).to.equal('2024-05-01T01:30:00.500000Z');
    expect(normalizeInstant('2024-01-01T00:10:00+0030')).to.equal('2023-12-31T23:40:00.000000Z');
  });

  it('sorts as text in time order whatever the offsets were', () => {
    const a = normalizeInstant('2024-05-01T10:00:00.000001+02:00')!;
    const b = normalizeInstant('2024-05-01T09:00:00.000002+01:00')!;
    expect(a < b).to.equal(true);
  });

  it('refuses what is not an instant', () => {
    for (const bad of [
      '2024-05-01',
      '2024-05-01T10:00:00',
      '2024-04-31T10:00:00Z',
      '2024-05-01T24:00:00Z',
      'soon',
    ])
      expect(normalizeInstant(bad), bad).to.equal(undefined);
  });
});
