import { expect } from 'chai';
import { RateMeter } from './rates.js';

describe('demo: rates from counters', () => {
  it('is zero until two samples exist', () => {
    const meter = new RateMeter<'a'>();
    expect(meter.rate('a')).to.equal(0);
    meter.add(1000, { a: 50 });
    expect(meter.rate('a')).to.equal(0);
  });

  it('is the growth per second over the window', () => {
    const meter = new RateMeter<'a' | 'b'>(3000);
    meter.add(0, { a: 0, b: 0 });
    meter.add(1000, { a: 200, b: 10 });
    expect(meter.rate('a')).to.equal(200);
    meter.add(2000, { a: 500, b: 20 });
    expect(meter.rate('a')).to.equal(250);
    expect(meter.rate('b')).to.equal(10);
  });

  it('forgets samples older than the window, so that a change of pace shows within seconds', () => {
    const meter = new RateMeter<'a'>(2000);
    for (let t = 0; t <= 10; t++) meter.add(t * 1000, { a: t * 100 });
    meter.add(11_000, { a: 1000 + 1000 });
    meter.add(12_000, { a: 2000 + 1000 });
    // The window holds 10 s .. 12 s: 1000 -> 3000 in 2 s.
    expect(meter.rate('a')).to.equal(1000);
  });

  it('shows no negative rate for a counter that went down (a restart)', () => {
    const meter = new RateMeter<'a'>();
    meter.add(0, { a: 100 });
    meter.add(1000, { a: 10 });
    expect(meter.rate('a')).to.equal(0);
  });
});
