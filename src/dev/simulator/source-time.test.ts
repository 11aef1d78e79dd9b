import { expect } from 'chai';
import {
  instantOfDb2Timestamp,
  instantOfSapTime,
  isoMicros,
  mariadbDatetime,
  sourceLocalTime,
  MICROS_PER_SECOND,
} from './source-time.js';

const T = (iso: string) => Date.parse(iso) * 1000;

describe('simulator: source times', () => {
  it('UTC with microseconds for PostgreSQL and MariaDB', () => {
    const us = T('2026-11-20T08:15:02.123Z') + 456;
    expect(isoMicros(us)).to.equal('2026-11-20T08:15:02.123456Z');
    expect(mariadbDatetime(us)).to.equal('2026-11-20 08:15:02.123456');
  });

  it('Berlin wall clock for SAP (DATS, TIMS) and DB2, in winter and in summer', () => {
    expect(sourceLocalTime(T('2026-11-20T08:15:02.5Z'))).to.deep.equal({
      dats: '20261120',
      tims: '091502',
      db2: '2026-11-20-09.15.02.500000',
    });
    expect(sourceLocalTime(T('2026-07-01T23:30:00Z')).db2).to.equal('2026-07-02-01.30.00.000000');
  });

  it('reads back to the same instant across a year, the spring change included (SAP to the second)', () => {
    // Every six hours and a bit through 2026, except the hour that repeats in October.
    for (let us = T('2026-01-01T00:00:00Z'); us < T('2027-01-01T00:00:00Z'); us += 21_601_234_567) {
      const local = sourceLocalTime(us);
      if (local.db2.startsWith('2026-10-25-02.')) continue;
      expect(instantOfDb2Timestamp(local.db2), local.db2).to.equal(us);
      expect(instantOfSapTime(local.dats, local.tims)).to.equal(
        Math.floor(us / MICROS_PER_SECOND) * MICROS_PER_SECOND,
      );
    }
  });
});
