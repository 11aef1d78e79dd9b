import { expect } from 'chai';
import { quantile } from './percentiles.js';

describe('bench: quantiles from histogram buckets', () => {
  const buckets = [
    { le: 0.1, count: 50 },
    { le: 0.5, count: 90 },
    { le: 1, count: 99 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates within the bucket that holds the rank', () => {
    expect(quantile(buckets, 0.5)).to.be.closeTo(0.1, 1e-9);
    expect(quantile(buckets, 0.7)).to.be.closeTo(0.3, 1e-9);
    expect(quantile(buckets, 0.99)).to.be.closeTo(1, 1e-9);
  });

  it('answers the last finite bound for ranks in the +Inf bucket, and null without observations', () => {
    expect(quantile(buckets, 0.999)).to.equal(1);
    expect(quantile([{ le: Infinity, count: 0 }], 0.5)).to.equal(null);
  });
});
