import { expect } from 'chai';
import { furthest, groupLag, lagBy, type TopicOffsets } from './consumer-lag.js';

const offsets = (entries: Record<string, Record<number, number>>): TopicOffsets =>
  new Map(
    Object.entries(entries).map(([topic, parts]) => [
      topic,
      new Map(Object.entries(parts).map(([p, o]) => [Number(p), BigInt(o)])),
    ]),
  );

describe('demo: consumer lag', () => {
  it('is the end offset minus the committed offset, summed per topic and over the group', () => {
    const lag = groupLag(
      offsets({ 'store-pg.public.sale_lines': { 0: 100, 1: 50 }, 'sap.sapabap1.MATDOC': { 0: 10 } }),
      offsets({ 'store-pg.public.sale_lines': { 0: 90, 1: 50 }, 'sap.sapabap1.MATDOC': { 0: 7 } }),
    );
    expect(lag.total).to.equal(13n);
    expect(lag.topics).to.deep.equal([
      { topic: 'sap.sapabap1.MATDOC', lag: 3n, uncommitted: 0 },
      { topic: 'store-pg.public.sale_lines', lag: 10n, uncommitted: 0 },
    ]);
  });

  it('counts a partition the group has not committed from the start of the topic, not from zero', () => {
    const lag = groupLag(
      offsets({ t: { 0: 100, 1: 40 } }),
      offsets({ t: { 0: 100 } }),
      offsets({ t: { 0: 0, 1: 30 } }),
    );
    expect(lag.topics).to.deep.equal([{ topic: 't', lag: 10n, uncommitted: 1 }]);
    expect(groupLag(offsets({ u: { 0: 5 } }), new Map()).total).to.equal(5n);
  });

  it('never goes negative when a committed offset lies beyond the end (a recreated topic)', () => {
    expect(groupLag(offsets({ t: { 0: 5 } }), offsets({ t: { 0: 9 } })).total).to.equal(0n);
  });

  it('keeps offsets beyond 2^53 exact', () => {
    const big = 2n ** 60n;
    const lag = groupLag(new Map([['t', new Map([[0, big + 3n]])]]), new Map([['t', new Map([[0, big]])]]));
    expect(lag.total).to.equal(3n);
  });

  it('sums lag per bucket, leaving out topics that belong to none', () => {
    const lag = groupLag(
      offsets({ 'a.x': { 0: 5 }, 'a.y': { 0: 7 }, 'b.x': { 0: 1 }, other: { 0: 100 } }),
      new Map(),
    );
    const byPrefix = lagBy(lag, (t) => (t.startsWith('a.') ? 'a' : t.startsWith('b.') ? 'b' : undefined));
    expect([...byPrefix]).to.deep.equal([
      ['a', 12n],
      ['b', 1n],
    ]);
  });

  it('takes the furthest of two views of a position, partition by partition', () => {
    const merged = furthest(offsets({ t: { 0: 10, 1: 3 } }), offsets({ t: { 0: 8, 1: 5, 2: 1 } }));
    expect(merged).to.deep.equal(offsets({ t: { 0: 10, 1: 5, 2: 1 } }));
  });
});
