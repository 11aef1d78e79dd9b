import { expect } from 'chai';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { StocklineConfig } from '../../src/config/schema.js';
import { kafkajsClient } from '../support/kafka.js';
import { compileMapperOptions } from '../../src/mapper/options.js';
import { ensureMapperTopics } from '../../src/mapper/service.js';
import { createLogger } from '../../src/observability/logger.js';
import { isolatedMapperConfig, uniqueSuffix } from '../support/config.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

const log = createLogger({ level: 'silent' });

describe('durability settings of the topics stockline creates (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let config: StocklineConfig;
  let admin: Admin;
  const created: string[] = [];

  before(async () => {
    const env = await ensureStack();
    config = isolatedMapperConfig(env.config);
    admin = kafkajsClient({ brokers: config.kafka.brokers, clientId: 'stockline-test-topics' }).admin();
    await admin.connect();
  });

  after(async () => {
    const existing = new Set(await admin.listTopics());
    const topics = created.filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  /** The value of min.insync.replicas on the topic itself, or undefined when it is the broker's. */
  async function topicLevelMinIsr(topic: string): Promise<string | undefined> {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    });
    const entry = described.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas');
    // configSource 1 is DYNAMIC_TOPIC_CONFIG: set on the topic, not inherited from the broker.
    return (entry as { configSource?: number } | undefined)?.configSource === 1
      ? entry?.configValue
      : undefined;
  }

  it('sets kafka.minInsyncReplicas on the canonical, dead-letter and raw topics it creates', async () => {
    const raw = `test.raw.${uniqueSuffix()}`;
    config.kafka.minInsyncReplicas = 1;
    created.push(config.mapper.canonicalTopic, config.mapper.deadLetterTopic, raw);
    await ensureMapperTopics(compileMapperOptions(config), [raw], log);
    for (const topic of [config.mapper.canonicalTopic, config.mapper.deadLetterTopic, raw])
      expect(await topicLevelMinIsr(topic), topic).to.equal('1');
  });

  it('asks the broker for kafka.replicationFactor: 2 on the one-broker local stack is refused, not ignored', async () => {
    const other = isolatedMapperConfig(config);
    other.kafka.replicationFactor = 2;
    other.kafka.minInsyncReplicas = 0;
    created.push(other.mapper.canonicalTopic, other.mapper.deadLetterTopic);
    const error = await ensureMapperTopics(compileMapperOptions(other), [], log).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error, 'the topics were created although the replication factor cannot be met').to.be.instanceOf(
      Error,
    );
    const reasons = [
      error?.message,
      ...((error as { errors?: Error[] } | undefined)?.errors ?? []).map((e) => e.message),
    ];
    expect(reasons.join('; ')).to.match(/replication.factor/i);
    expect((await admin.listTopics()).includes(other.mapper.canonicalTopic)).to.equal(false);
  });

  it('leaves both to the broker when they are 0 (the default)', async () => {
    const plain = isolatedMapperConfig(config);
    plain.kafka.replicationFactor = 0;
    plain.kafka.minInsyncReplicas = 0;
    created.push(plain.mapper.canonicalTopic, plain.mapper.deadLetterTopic);
    await ensureMapperTopics(compileMapperOptions(plain), [], log);
    expect(await topicLevelMinIsr(plain.mapper.canonicalTopic)).to.equal(undefined);
  });
});
