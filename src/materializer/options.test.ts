import { expect } from 'chai';
import type { StocklineConfig } from '../config/schema.js';
import { refusalOf, shippedConfig } from '../../test/support/options.js';
import { compileMaterializerOptions } from './options.js';

const refusal = (config: StocklineConfig) => refusalOf(compileMaterializerOptions, config);

describe('compileMaterializerOptions', () => {
  it("takes the shipped defaults, the canonical topic from the mapper's section when its own key is empty", () => {
    const options = compileMaterializerOptions(shippedConfig());
    expect(options).to.deep.include({
      groupId: 'stockline-materializer',
      canonicalTopic: 'inventory.events.v1',
      canonicalTopicKey: 'mapper.canonicalTopic',
      partitions: 6,
      stockTopic: 'inventory.stock.v1',
      maxBatchEvents: 5000,
      ledgerHorizonDays: 35,
      concurrency: 3,
    });
    expect(options.stockDb.poolMax).to.equal(10);
    expect(options.kafka.brokers).to.deep.equal(['127.0.0.1:19092']);
  });

  it('reads materializer.canonicalTopic when it is set (a topic mirrored from another data center)', () => {
    const config = shippedConfig();
    config.materializer.canonicalTopic = 'dc1.inventory.events.v1';
    const options = compileMaterializerOptions(config);
    expect(options.canonicalTopic).to.equal('dc1.inventory.events.v1');
    expect(options.canonicalTopicKey).to.equal('materializer.canonicalTopic');
  });

  it('returns frozen options that later changes of the config do not reach', () => {
    const config = shippedConfig();
    const options = compileMaterializerOptions(config);
    config.stockDb.poolMax = 1;
    config.kafka.brokers.push('elsewhere:9092');
    expect(options.stockDb.poolMax).to.equal(10);
    expect(options.kafka.brokers).to.deep.equal(['127.0.0.1:19092']);
    expect(
      Object.isFrozen(options) && Object.isFrozen(options.stockDb) && Object.isFrozen(options.kafka.brokers),
    ).to.be.true;
    expect(() => ((options as { concurrency: number }).concurrency = 99)).to.throw(TypeError);
  });

  it('refuses materializer.concurrency above stockDb.poolMax, naming both keys, instead of lowering it', () => {
    const config = shippedConfig();
    config.materializer.concurrency = 12;
    const error = refusal(config);
    expect(error.message).to.equal(
      'the materializer cannot start: materializer.concurrency (12) exceeds stockDb.poolMax (10): each partition applied at the same time needs its own connection; raise stockDb.poolMax or lower materializer.concurrency',
    );
    expect(error.code).to.equal('STOCKLINE_CONFIG_INVALID');
    expect(error.context.keys).to.deep.equal(['materializer.concurrency', 'stockDb.poolMax']);
  });

  it('accepts a concurrency equal to the pool size', () => {
    const config = shippedConfig();
    config.materializer.concurrency = 4;
    config.stockDb.poolMax = 4;
    expect(compileMaterializerOptions(config).concurrency).to.equal(4);
  });

  it('refuses a stock topic that is the canonical topic it reads, naming the key that set each', () => {
    const config = shippedConfig();
    config.materializer.stockTopic = config.mapper.canonicalTopic;
    expect(refusal(config).message).to.match(
      /mapper\.canonicalTopic and materializer\.stockTopic are both inventory\.events\.v1: one topic cannot hold canonical events and stock rows/,
    );
    config.materializer.canonicalTopic = 'mirrored.events';
    config.materializer.stockTopic = 'mirrored.events';
    expect(refusal(config).context.keys).to.deep.equal([
      'materializer.canonicalTopic',
      'materializer.stockTopic',
    ]);
  });

  it('reports every refusal at once', () => {
    const config = shippedConfig();
    config.materializer.concurrency = 11;
    config.kafka.replicationFactor = 1;
    config.kafka.minInsyncReplicas = 2;
    const error = refusal(config);
    expect(error.message).to.match(/^the materializer cannot start \(2 problems\):/);
    expect(error.message).to.contain('materializer.concurrency (11) exceeds stockDb.poolMax (10)');
    expect(error.message).to.contain('kafka.minInsyncReplicas (2) exceeds kafka.replicationFactor (1)');
    expect(error.context.keys).to.deep.equal([
      'materializer.concurrency',
      'stockDb.poolMax',
      'kafka.minInsyncReplicas',
      'kafka.replicationFactor',
    ]);
  });
});
