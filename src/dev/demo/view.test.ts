import { expect } from 'chai';
import { clock, columns, plainLine, renderScreen, type DemoSnapshot } from './view.js';

const snapshot = (over: Partial<DemoSnapshot> = {}): DemoSnapshot => ({
  runId: 'K3F9A',
  seed: 7,
  targetRate: 300,
  durationMs: 120_000,
  elapsedMs: 42_500,
  behindMs: 0,
  sources: [
    { source: 'store-pg', written: 5040, writtenPerSecond: 121.4, capturedPerSecond: 120, mapperLag: 3n },
    { source: 'store-maria', written: 3990, writtenPerSecond: 95, capturedPerSecond: 95, mapperLag: 0n },
    { source: 'sap', written: 2310, writtenPerSecond: 55, capturedPerSecond: 55, mapperLag: 0n },
    {
      source: 'mainframe',
      written: 1260,
      writtenPerSecond: 30,
      queued: 7,
      capturedPerSecond: 31,
      mapperLag: 1n,
    },
  ],
  mapper: { inPerSecond: 300, outPerSecond: 280, deadLetters: 0 },
  replicator: { perSecond: 31, queueDepth: 7, deadLetters: 0, recoveryDiscards: 2 },
  mapperLag: 4n,
  materializerLag: 12n,
  popular: [
    { sku: 'SK3F9A-00001', unit: 'EA', byLocation: { S001: '12', W001: '140', DC01: '-2' }, total: '150' },
    { sku: 'SK3F9A-00002', unit: 'KG', byLocation: { S001: '3.5' }, total: '3.5' },
  ],
  ...over,
});

describe('demo: the view', () => {
  it('formats elapsed time as m:ss, or h:mm:ss past an hour', () => {
    expect(clock(0)).to.equal('0:00');
    expect(clock(83_900)).to.equal('1:23');
    expect(clock(3_723_000)).to.equal('1:02:03');
  });

  it('pads columns to their widest cell, numbers to the right', () => {
    expect(
      columns(
        [
          ['a', 'n'],
          ['long', '1234'],
        ],
        [false, true],
      ),
    ).to.deep.equal(['a        n', 'long  1234']);
  });

  it('shows each source with its rates, totals and mapper lag, then the whole', () => {
    const screen = renderScreen(snapshot());
    expect(screen[0]).to.equal('stockline demo  run K3F9A  seed 7  300 events/s for 2:00  0:42');
    const table = screen.slice(2, 8);
    expect(table[0]).to.match(/^source\s+written\/s\s+written\s+queued\s+on Kafka\/s\s+mapper lag$/);
    expect(table[1]).to.match(/^store-pg\s+121\s+5,040\s+120\s+3$/);
    expect(table[3]).to.match(/^SAP\s+55\s+2,310\s+55\s+0$/);
    // The mainframe's queue depth beside its figures: on the queue, not on Kafka yet.
    expect(table[4]).to.match(/^mainframe\s+30\s+1,260\s+7\s+31\s+1$/);
    expect(table[5]).to.match(/^all\s+301\s+12,600\s+7\s+301\s+4$/);
    expect(screen).to.include('mapper        300 records/s in, 280 events/s out, 0 dead letters, lag 4');
    expect(screen).to.include(
      'MQ replicator 31 messages/s to Kafka, queue depth 7, 0 dead letters, 2 duplicates discarded',
    );
    expect(screen).to.include('materializer  lag 12 events');
  });

  it("shows the popular items' stock per location, locations in order, blanks where there is none", () => {
    const screen = renderScreen(snapshot());
    const at = screen.findIndex((l) => l.startsWith('on hand'));
    expect(screen[at]).to.match(/^on hand\s+DC01\s+S001\s+W001\s+total$/);
    expect(screen[at + 1]).to.match(/^SK3F9A-00001 EA\s+-2\s+12\s+140\s+150$/);
    expect(screen[at + 2]).to.match(/^SK3F9A-00002 KG\s+3\.5\s+3\.5$/);
  });

  it('says what it cannot show instead of showing nothing', () => {
    const screen = renderScreen(
      snapshot({
        mapperLag: undefined,
        materializerLag: undefined,
        lagProblem: 'Kafka did not answer',
        sources: snapshot().sources.map(({ mapperLag: _lag, capturedPerSecond: _c, ...rest }) => rest),
        popular: [],
        stockProblem: 'the stock table does not exist yet',
        durationMs: undefined,
        behindMs: 2500,
      }),
    );
    expect(screen[0]).to.contain('until Ctrl-C').and.contain('(simulator 2.5 s behind)');
    expect(screen[3]).to.match(/^store-pg\s+121\s+5,040\s+-\s+\?$/);
    expect(screen).to.include('materializer  lag ? events  (lag unknown: Kafka did not answer)');
    expect(screen).to.include('popular items: the stock table does not exist yet');
    expect(
      renderScreen(snapshot({ popular: [{ sku: 'X', unit: '', byLocation: {}, total: '0' }] })),
    ).to.include('popular items: no stock rows yet');
  });

  it('never draws a line wider than the terminal', () => {
    for (const line of renderScreen(snapshot(), 40)) expect(line.length).to.be.at.most(40);
  });

  it('puts the same figures on one plain line for logs', () => {
    expect(plainLine(snapshot())).to.equal(
      'demo 0:42: written 12,600 (301/s: store-pg 121/s, store-maria 95/s, SAP 55/s, mainframe 30/s); MQ queue depth 7, replicator 31/s; mapper 300/s in, mapper lag 4, materializer lag 12; SK3F9A-00001 150 EA in 3 locations',
    );
  });
});
