import { expect } from 'chai';
import type { StocklineConfig } from '../config/schema.js';
import { refusalOf, shippedConfig } from '../../test/support/options.js';
import { compileMapperOptions } from './options.js';

const refusal = (config: StocklineConfig) => refusalOf(compileMapperOptions, config);

describe('compileMapperOptions', () => {
  it('takes the shipped defaults, and reserves the topics stockline writes, the stock topic too', () => {
    const options = compileMapperOptions(shippedConfig());
    expect(options).to.deep.include({
      mappingsDir: 'mappings',
      groupId: 'stockline-mapper',
      canonicalTopic: 'inventory.events.v1',
      deadLetterTopic: 'inventory.deadletter.v1',
      canonicalPartitions: 6,
    });
    expect(options.kafka.client).to.equal('node-rdkafka');
    expect(options.reservedTopics.map((r) => r.topic)).to.deep.equal([
      'inventory.events.v1',
      'inventory.deadletter.v1',
      'inventory.stock.v1',
    ]);
    expect(Object.isFrozen(options.reservedTopics[2])).to.be.true;
  });

  it('refuses dead letters in the canonical topic, naming both keys', () => {
    const config = shippedConfig();
    config.mapper.deadLetterTopic = config.mapper.canonicalTopic;
    const error = refusal(config);
    expect(error.message).to.equal(
      'the mapper cannot start: mapper.canonicalTopic and mapper.deadLetterTopic are both inventory.events.v1: one topic cannot hold canonical events and dead letters; give each its own topic',
    );
    expect(error.context.keys).to.deep.equal(['mapper.canonicalTopic', 'mapper.deadLetterTopic']);
  });

  it("refuses writing into the materializer's stock topic", () => {
    const config = shippedConfig();
    config.mapper.deadLetterTopic = config.materializer.stockTopic;
    expect(refusal(config).context.keys).to.deep.equal(['mapper.deadLetterTopic', 'materializer.stockTopic']);
  });

  it('refuses min.insync.replicas above the replication factor of the topics it creates, but not when either is left to the broker', () => {
    const config = shippedConfig();
    config.kafka.replicationFactor = 2;
    config.kafka.minInsyncReplicas = 3;
    expect(refusal(config).message).to.contain(
      'kafka.minInsyncReplicas (3) exceeds kafka.replicationFactor (2): no write to the topics stockline creates could ever be acknowledged by that many replicas',
    );
    config.kafka.replicationFactor = 0;
    expect(compileMapperOptions(config).kafka.minInsyncReplicas).to.equal(3);
  });
});
