import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { CanonicalEvent } from '../../src/canonical/event.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import { kafkajsClient } from '../support/kafka.js';
import { compileMaterializerOptions } from '../../src/materializer/options.js';
import { startMaterializer } from '../../src/materializer/service.js';
import { createLogger } from '../../src/observability/logger.js';
import { createStockDb } from '../../src/stock/db.js';
import { migrateStockDb } from '../../src/stock/migrate.js';
import { expectedStock, generateStream } from '../support/canonical-stream.js';
import {
  createTopic,
  differences,
  endOffsets,
  produceEvents,
  stockRows,
  stockTopicRows,
  storedPositions,
} from '../support/materializer-harness.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

/**
 * Faults of Kafka that must not stop the materializer: the role runs in this process, against
 * the real broker and stock database, on topics and a consumer group of each test's own.
 */
const log = createLogger({ level: 'warn' });

function isolation(env: TestStack, name: string) {
  const run = `${name}${randomBytes(3).toString('hex')}`;
  const config = structuredClone(env.config) as StocklineConfig;
  config.mapper.canonicalTopic = `test.materializer.${run}`;
  config.materializer.groupId = `test-materializer-${run}`;
  config.materializer.stockTopic = `test.stock.${run}`;
  config.materializer.maxBatchEvents = 100;
  const skus = Array.from({ length: 50 }, (_, i) => `T${run}-${i}`);
  return { run, config, skus, locations: [`${run}S1`, `${run}S2`] };
}

async function waitStored(
  db: Knex,
  config: StocklineConfig,
  ends: Map<number, bigint>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await storedPositions(db, config.materializer.groupId, config.mapper.canonicalTopic);
    if ([...ends].every(([p, end]) => stored.get(p) === end)) return;
    if (Date.now() > deadline)
      throw new Error(
        `not applied after ${timeoutMs} ms: stored ${JSON.stringify([...stored].map(([p, o]) => [p, String(o)]))}, ends ${JSON.stringify([...ends].map(([p, o]) => [p, String(o)]))}`,
      );
    await sleep(100);
  }
}

describe('materializer under Kafka faults (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  let db: Knex;
  let brokers: string[];
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    env = await ensureStack();
    brokers = env.config.kafka.brokers;
    db = createStockDb(env.config);
    await migrateStockDb(db);
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop().catch(() => undefined);
  });
  after(async () => {
    await db?.destroy();
  });

  it('goes on applying while the stock topic refuses every write, stops at once, and a restart publishes what the topic missed', async () => {
    const t = isolation(env, 'p');
    const { config } = t;
    const events = generateStream({ seed: 11, events: 1000, skus: t.skus, locations: t.locations });
    await createTopic(brokers, config.mapper.canonicalTopic, 1);
    await produceEvents(brokers, config.mapper.canonicalTopic, events);
    // A stock topic that refuses every row (~350 B) as too large, as a misconfigured or
    // unauthorized topic refuses it: the broker answers, the write fails.
    const admin = kafkajsClient({ brokers, clientId: 'stockline-test' }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: config.materializer.stockTopic,
            numPartitions: 1,
            replicationFactor: 1,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'max.message.bytes', value: '100' },
            ],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const ends = await endOffsets(brokers, config.mapper.canonicalTopic);

    const role = await startMaterializer(compileMaterializerOptions(config), log);
    stops.push(() => role.stop());
    // 1,000 events in batches of 100: every batch is applied although none is published.
    await waitStored(db, config, ends, 60_000);
    const expected = expectedStock(events);
    expect(differences(await stockRows(db, t.skus), expected)).to.deep.equal([]);
    expect((await stockTopicRows(brokers, config.materializer.stockTopic)).size).to.equal(0);

    const t0 = Date.now();
    await role.stop();
    const stopMs = Date.now() - t0;
    expect(stopMs).to.be.lessThan(10_000);
    const [position] = await db('materializer_positions')
      .select<{ published_offset: string }[]>('published_offset')
      .where({ group_id: config.materializer.groupId });
    expect(position!.published_offset).to.equal('0');

    // The topic is fixed; a restart publishes the rows of everything since published_offset.
    const fix = kafkajsClient({ brokers, clientId: 'stockline-test' }).admin();
    await fix.connect();
    try {
      await fix.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: 2, // TOPIC
            name: config.materializer.stockTopic,
            configEntries: [{ name: 'max.message.bytes', value: '1048588' }],
          },
        ],
      });
    } finally {
      await fix.disconnect();
    }
    const again = await startMaterializer(compileMaterializerOptions(config), log);
    stops.push(() => again.stop());
    const deadline = Date.now() + 60_000;
    let onTopic = await stockTopicRows(brokers, config.materializer.stockTopic);
    while (onTopic.size < expected.size && Date.now() < deadline) {
      await sleep(500);
      onTopic = await stockTopicRows(brokers, config.materializer.stockTopic);
    }
    expect(onTopic.size).to.equal(expected.size);
    for (const [key, row] of expected) expect(onTopic.get(key)?.version, key).to.equal(String(row.version));
  });

  it('moves past an aborted transaction larger than its fetch (2 MiB per partition) to the events after it', async () => {
    const t = isolation(env, 'a');
    const { config } = t;
    const [before, after, after2] = generateStream({
      seed: 5,
      events: 3,
      levels: 0,
      late: 0,
      skus: t.skus,
      locations: t.locations,
    });
    await createTopic(brokers, config.mapper.canonicalTopic, 1);
    await produceEvents(brokers, config.mapper.canonicalTopic, [before!]);
    const role = await startMaterializer(compileMaterializerOptions(config), log);
    stops.push(() => role.stop());
    // Caught up: its next fetch starts where the aborted transaction begins.
    await waitStored(db, config, await endOffsets(brokers, config.mapper.canonicalTopic), 60_000);
    // A mapper that failed in the middle of a big batch: 3 MB written in a transaction, aborted.
    const producer = kafkajsClient({ brokers, clientId: 'stockline-test' }).producer({
      transactionalId: `test-aborted-${t.run}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const transaction = await producer.transaction();
      const junk = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(1000) }));
      for (let i = 0; i < junk.length; i += 500)
        await transaction.send({ topic: config.mapper.canonicalTopic, messages: junk.slice(i, i + 500) });
      await transaction.abort();
    } finally {
      await producer.disconnect();
    }
    await produceEvents(brokers, config.mapper.canonicalTopic, [after!]);
    await waitStored(db, config, await endOffsets(brokers, config.mapper.canonicalTopic), 60_000);
    expect(differences(await stockRows(db, t.skus), expectedStock([before!, after!]))).to.deep.equal([]);
    // And a restart (positions read from the database) finds nothing to apply and moves on.
    await role.stop();
    await produceEvents(brokers, config.mapper.canonicalTopic, [after2!]);
    const again = await startMaterializer(compileMaterializerOptions(config), log);
    stops.push(() => again.stop());
    await waitStored(db, config, await endOffsets(brokers, config.mapper.canonicalTopic), 60_000);
    expect(differences(await stockRows(db, t.skus), expectedStock([before!, after!, after2!]))).to.deep.equal(
      [],
    );
  });

  it('rejects the events that would take a stock row beyond numeric(24,6), keeps them with the reason, and applies on', async () => {
    const t = isolation(env, 'o');
    const { config } = t;
    const [template, other] = generateStream({
      seed: 3,
      events: 2,
      levels: 0,
      late: 0,
      skus: [t.skus[0]!],
      locations: t.locations,
    }) as [CanonicalEvent, CanonicalEvent];
    // 1,003 receipts of the largest quantity an event may carry (15 integer digits): the first
    // 1,000 fit a stock row (under 10^18), each further one would overflow it.
    const big = Array.from({ length: 1003 }, (_, i): CanonicalEvent => {
      const e = structuredClone(template);
      e.id = `${t.run}-big-${i}`;
      e.data.quantity = '999999999999999';
      e.data.location = t.locations[0]!;
      e.subject = `${e.data.sku}@${e.data.location}`;
      e.data.source.position = `${t.run}/big/${i}`;
      return e;
    });
    other.data.location = t.locations[1]!;
    other.subject = `${other.data.sku}@${other.data.location}`;
    await createTopic(brokers, config.mapper.canonicalTopic, 1);
    await produceEvents(brokers, config.mapper.canonicalTopic, [...big, other]);
    const role = await startMaterializer(compileMaterializerOptions(config), log);
    stops.push(() => role.stop());
    const failed = role.done.then(
      () => 'stopped',
      (e: unknown) => `failed: ${String(e)}`,
    );
    await Promise.race([
      waitStored(db, config, await endOffsets(brokers, config.mapper.canonicalTopic), 60_000),
      failed.then((outcome) => {
        throw new Error(`the role ${outcome}`);
      }),
    ]);
    const rows = await stockRows(db, [t.skus[0]!]);
    expect(rows.get(`${t.skus[0]}@${t.locations[0]}`)).to.include({
      on_hand: '999999999999999000.000000',
      version: '1000',
    });
    expect(rows.get(`${t.skus[0]}@${t.locations[1]}`)?.version).to.equal('1');
    const rejected = await db('stock_rejected_events')
      .select<{ kafka_offset: string; event_id: string; reason: string }[]>(
        'kafka_offset',
        'event_id',
        'reason',
      )
      .where({ group_id: config.materializer.groupId })
      .orderBy('kafka_offset');
    expect(rejected.map((r) => r.kafka_offset)).to.deep.equal(['1000', '1001', '1002']);
    expect(rejected[0]!.event_id).to.equal(`${t.run}-big-1000`);
    expect(rejected[0]!.reason).to.contain('numeric(24,6)');
  });
});
