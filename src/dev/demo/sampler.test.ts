import { expect } from 'chai';
import type { KafkaAdmin } from '../../kafka/port.js';
import type { StockReader } from '../../stock/reads.js';
import { DemoSampler, mapperTopics, sourceOfTopic } from './sampler.js';

describe('demo: sampler', () => {
  it('knows the source of a raw topic by its prefix', () => {
    expect(sourceOfTopic('store-pg.public.sale_lines')).to.equal('store-pg');
    expect(sourceOfTopic('store-maria.store.transfers')).to.equal('store-maria');
    expect(sourceOfTopic('sap.sapabap1.MATDOC')).to.equal('sap');
    expect(sourceOfTopic('mq.WH.STOCK.MOVES')).to.equal('mainframe');
    expect(sourceOfTopic('inventory.events.v1')).to.equal(undefined);
  });

  it('reads the topics of the enabled mappings, named or matching a pattern, each once', () => {
    const topics = mapperTopics(
      [
        { enabled: true, topics: ['b.one', 'a.two'] },
        { enabled: true, topics: ['a.two'], topicPattern: /^c\./ },
        { enabled: false, topics: ['d.off'], topicPattern: /^e\./ },
      ],
      ['c.x', 'c.y', 'e.z', 'f.w'],
    );
    expect(topics).to.deep.equal(['a.two', 'b.one', 'c.x', 'c.y']);
  });
});

describe('demo: sampler with the MQ replicator', () => {
  it("shows the mainframe queue's depth beside the sources, and the replicator's own rate as the mainframe's arrivals", async () => {
    let figures = { messages: 0, queueDepth: 12, deadLetters: 1, recoveryDiscards: 2 };
    const sampler = new DemoSampler({
      runId: 'K3F9A',
      seed: 7,
      targetRate: 300,
      popular: 1,
      // Kafka does not answer: the replicator's figures do not depend on it.
      admin: { listTopics: () => Promise.reject(new Error('no broker')) } as unknown as KafkaAdmin,
      mapper: { groupId: 'g', topics: () => [] },
      materializer: { groupId: 'm', topic: 'inventory.events.v1' },
      stock: { item: () => Promise.resolve(null) } as unknown as StockReader,
      replicator: { stats: () => figures },
    });
    await sampler.sample(undefined, 0);
    figures = { ...figures, messages: 30, queueDepth: 4 };
    const snapshot = await sampler.sample(undefined, 2000);
    const mainframe = snapshot.sources.find((s) => s.source === 'mainframe')!;
    expect(mainframe.queued).to.equal(4);
    expect(mainframe.capturedPerSecond).to.equal(15);
    expect(snapshot.sources.find((s) => s.source === 'store-pg')).to.not.have.property('queued');
    expect(snapshot.replicator).to.deep.equal({
      perSecond: 15,
      queueDepth: 4,
      deadLetters: 1,
      recoveryDiscards: 2,
    });
    expect(snapshot.lagProblem).to.equal('no broker');
  });
});
