import { expect } from 'chai';
import type { StockAtLocation } from '../stock/reads.js';
import { singleStock, stockAtLocation } from './stock-responses.js';

const row: StockAtLocation = {
  sku: 'A1',
  location: 'S001',
  kind: 'store',
  region: 'north',
  onHand: '12.5',
  unit: 'EA',
  version: '9007199254740993',
  negative: false,
  levelAsOf: '2024-05-01T09:30:00.123999Z',
  lastEventAt: '2024-05-01T10:00:00.000999Z',
  lastEventId: 'e1',
  updatedAt: '2024-05-01T10:00:01.999999Z',
};

describe('api: stock responses', () => {
  it('shows instants to the millisecond, truncated as node-postgres dates showed them before', () => {
    expect(stockAtLocation(row)).to.deep.include({
      levelAsOf: '2024-05-01T09:30:00.123Z',
      lastEventAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-01T10:00:01.999Z',
      version: '9007199254740993',
    });
    expect(stockAtLocation({ ...row, levelAsOf: null }).levelAsOf).to.equal(null);
  });

  it('gives the freshness in seconds since the last event, never negative', () => {
    expect(singleStock(row, new Date('2024-05-01T10:02:00.500Z')).freshnessSeconds).to.equal(120.5);
    expect(singleStock(row, new Date('2024-05-01T09:00:00.000Z')).freshnessSeconds).to.equal(0);
  });
});
