import { expect } from 'chai';
import { mapperTopics, sourceOfTopic } from './sampler.js';

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
