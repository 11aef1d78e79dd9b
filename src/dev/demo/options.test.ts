import { expect } from 'chai';
import { UsageError } from '../../errors.js';
import { parseDemoFlags } from './options.js';

describe('demo: options', () => {
  it('runs until stopped at a modest rate by default, with a fresh seed', () => {
    const o = parseDemoFlags({});
    expect(o.durationMs).to.equal(undefined);
    expect(o.simulate.rate).to.equal(300);
    // The simulator needs an end: a year stands for "until Ctrl-C".
    expect(o.simulate.durationMs).to.be.greaterThan(300 * 24 * 3600 * 1000);
    expect(o.simulate.seed).to.be.a('number');
    expect(o).to.include({ popular: 3, verifyTimeoutMs: 120_000, settleMs: 20_000 });
  });

  it('reads durations, rates and seeds the way simulate does', () => {
    const o = parseDemoFlags({ duration: '2m', rate: '200', seed: '7', verifyTimeout: '30' });
    expect(o.durationMs).to.equal(120_000);
    expect(o.simulate).to.include({ durationMs: 120_000, rate: 200, seed: 7 });
    expect(o.verifyTimeoutMs).to.equal(30_000);
  });

  it('refuses what it cannot use, naming the flag', () => {
    expect(() => parseDemoFlags({ duration: 'soon' })).to.throw(UsageError, /--duration "soon"/);
    expect(() => parseDemoFlags({ rate: '0' })).to.throw(UsageError, /--rate/);
    expect(() => parseDemoFlags({ popular: '-1' })).to.throw(UsageError, /--popular/);
    expect(() => parseDemoFlags({ verifyTimeout: 'x' })).to.throw(UsageError, /--verify-timeout/);
  });

  it('shows no more popular items than the run has', () => {
    expect(parseDemoFlags({ items: '2', popular: '5' }).popular).to.equal(2);
  });
});
