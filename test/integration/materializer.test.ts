import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import { toKafkaMessage } from '../../src/canonical/cloudevents-kafka.js';
import type { CanonicalEvent } from '../../src/canonical/event.js';
import { kafkajsClient } from '../support/kafka.js';
import { createStockDb } from '../../src/stock/db.js';
import { migrateStockDb } from '../../src/stock/migrate.js';
import { upsertLocations, type Location } from '../../src/stock/reference-data.js';
import {
  expectedStock,
  generateStream,
  seededRandom,
  type ExpectedRow,
} from '../support/canonical-stream.js';
import {
  createTopic,
  differences,
  endOffsets,
  killHard,
  produceEvents,
  spawnMaterializer,
  stockRows,
  stockTopicRows,
  storedPositions,
  sumOffsets,
  waitCaughtUp,
  type MaterializerProcess,
} from '../support/materializer-harness.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

const PARTITIONS = 6;
const EVENTS = 100_000;

/** Each test gets its own topics, consumer group, SKUs and locations: no test sees another's rows. */
function isolation(name: string) {
  const run = `${name}${randomBytes(3).toString('hex')}`;
  const skus = Array.from({ length: 400 }, (_, i) => `T${run}-${i}`);
  const [s1, s2, s3, w1, d1] = ['S01', 'S02', 'S03', 'W01', 'D01'].map((l) => `${run}${l}`) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const locations: Location[] = [
    { id: s1, kind: 'store', region: `${run}-north`, dataCenter: 'dc1' },
    { id: s2, kind: 'store', region: `${run}-north`, dataCenter: 'dc1' },
    { id: s3, kind: 'store', region: `${run}-south`, dataCenter: 'dc2' },
    { id: w1, kind: 'warehouse', region: `${run}-south`, dataCenter: 'dc2' },
    { id: d1, kind: 'distribution_center', region: `${run}-central`, dataCenter: 'dc3' },
  ];
  const topic = `test.materializer.${run}`;
  const groupId = `test-materializer-${run}`;
  const stockTopic = `test.stock.${run}`;
  return {
    run,
    seed: Number.parseInt(run.slice(-6), 16),
    skus,
    locations,
    topic,
    groupId,
    stockTopic,
    env: {
      STOCKLINE__MAPPER__CANONICALTOPIC: topic,
      STOCKLINE__MATERIALIZER__GROUPID: groupId,
      STOCKLINE__MATERIALIZER__STOCKTOPIC: stockTopic,
      // Smaller batches than the default: more commits, so more moments to be killed in.
      STOCKLINE__MATERIALIZER__MAXBATCHEVENTS: '2000',
    },
  };
}

/** The generated stream of one test: EVENTS events over its own SKUs and locations. */
function streamFor(t: ReturnType<typeof isolation>): CanonicalEvent[] {
  return generateStream({
    seed: t.seed,
    events: EVENTS,
    skus: t.skus,
    locations: t.locations.map((l) => l.id),
  });
}
type Isolation = ReturnType<typeof isolation>;

describe('materializer (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  let db: Knex;
  let brokers: string[];
  const processes: MaterializerProcess[] = [];

  before(async () => {
    env = await ensureStack();
    brokers = env.config.kafka.brokers;
    db = createStockDb(env.config);
    await migrateStockDb(db);
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map(killHard));
  });

  after(async () => {
    await db?.destroy();
  });

  function start(t: Isolation): MaterializerProcess {
    const p = spawnMaterializer(t.env);
    processes.push(p);
    return p;
  }

  const progress = async (t: Isolation) => sumOffsets(await storedPositions(db, t.groupId, t.topic));

  async function waitForProgress(t: Isolation, target: bigint, p: MaterializerProcess): Promise<void> {
    while ((await progress(t)) < target) {
      if (p.child.exitCode !== null)
        throw new Error(`materializer exited early:\n${p.log.slice(-20).join('\n')}`);
      await sleep(20);
    }
  }

  /**
   * Runs the materializer and SIGKILLs it `kills` times at random moments while it applies
   * (spread over the run, each a random few milliseconds after a commit), restarting it each
   * time; then waits until every partition's stored position is the topic's end.
   */
  async function runWithKills(
    t: Isolation,
    kills: number,
    whileRunning?: (k: number) => Promise<void>,
  ): Promise<void> {
    const rand = seededRandom(t.seed);
    const ends = await endOffsets(brokers, t.topic);
    const total = sumOffsets(ends);
    for (let k = 0; k < kills; k++) {
      const p = start(t);
      const share = (k + 0.3 + rand() * 0.6) / (kills + 1);
      await Promise.all([
        waitForProgress(t, (total * BigInt(Math.round(share * 1000))) / 1000n, p),
        whileRunning?.(k),
      ]);
      await sleep(Math.floor(rand() * 150));
      await killHard(p);
      console.log(`      SIGKILL ${k + 1} at ${await progress(t)} of ${total} offsets`);
    }
    await waitCaughtUp(db, ends, t.groupId, t.topic, [start(t)], 240_000);
  }

  async function expectExactRows(t: Isolation, expected: Map<string, ExpectedRow>): Promise<void> {
    const stored = await stockRows(db, t.skus);
    const diffs = differences(stored, expected);
    expect(diffs.slice(0, 20), `${diffs.length} of ${expected.size} rows differ`).to.deep.equal([]);
    expect(stored.size).to.equal(expected.size);
  }

  /** Totals per SKU, region and kind equal sums of the expected rows under the final locations. */
  async function expectExactTotals(t: Isolation, expected: Map<string, ExpectedRow>): Promise<void> {
    const where = new Map(t.locations.map((l) => [l.id, l]));
    const sums = {
      sku: new Map<string, string[]>(),
      region: new Map<string, string[]>(),
      kind: new Map<string, string[]>(),
    };
    const add = (m: Map<string, string[]>, key: string, row: ExpectedRow) => {
      const [q, n, neg] = m.get(key) ?? ['0', '0', '0'];
      const negative = row.onHand.isNegative() && !row.onHand.isZero();
      m.set(key, [
        new Decimal(q!).plus(row.onHand).toFixed(),
        String(Number(n) + 1),
        String(Number(neg) + (negative ? 1 : 0)),
      ]);
    };
    for (const [key, row] of expected) {
      const [sku, location] = key.split('@') as [string, string];
      add(sums.sku, sku, row);
      add(sums.region, `${sku}|${where.get(location)!.region}`, row);
      add(sums.kind, `${sku}|${where.get(location)!.kind}`, row);
    }
    const read = async (table: string, by: string | null) => {
      const rows = await db(table)
        .select<{ k: string; q: string; n: number; neg: number }[]>(
          db.raw(by ? `sku || '|' || ${by} AS k` : 'sku AS k'),
          db.raw('on_hand::text AS q'),
          'locations AS n',
          'negative_locations AS neg',
        )
        .whereIn('sku', t.skus);
      return new Map(rows.map((r) => [r.k, [new Decimal(r.q).toFixed(), String(r.n), String(r.neg)]]));
    };
    expect(await read('stock_totals', null)).to.deep.equal(sums.sku);
    expect(await read('stock_totals_by_region', 'region')).to.deep.equal(sums.region);
    expect(await read('stock_totals_by_kind', 'location_kind')).to.deep.equal(sums.kind);
  }

  /** The stock topic holds, per key, the row with the table's version and quantity. */
  /**
   * Every stored row is on the stock topic at its version. The materializer publishes a batch's
   * rows after its commit, while it applies the next, so the last batch's rows may still be on
   * their way when the stored positions reach the end: wait for them, a bounded while.
   */
  async function expectStockTopicComplete(t: Isolation): Promise<void> {
    const stored = await stockRows(db, t.skus);
    const deadline = Date.now() + 30_000;
    let missing: string[];
    for (;;) {
      const published = await stockTopicRows(brokers, t.stockTopic);
      missing = [];
      for (const [key, row] of stored) {
        const p = published.get(key);
        if (!p || p.version !== row.version || !new Decimal(p.onHand).equals(row.on_hand))
          missing.push(
            `${key}: table v${row.version} ${row.on_hand}, topic ${p ? `v${p.version} ${p.onHand}` : 'none'}`,
          );
      }
      if (missing.length === 0 || Date.now() > deadline) break;
      await sleep(500);
    }
    expect(missing.slice(0, 10), `${missing.length} rows not on the stock topic`).to.deep.equal([]);
  }

  it('applies 100,000 events exactly once across three SIGKILLs; totals and the stock topic agree', async () => {
    const t = isolation('k');
    const events = streamFor(t);
    await createTopic(brokers, t.topic, PARTITIONS);
    await produceEvents(brokers, t.topic, events);
    // Three locations known from the start; two registered while the materializer runs, which
    // moves what was counted under "unknown".
    await upsertLocations(db, t.locations.slice(0, 3));
    await runWithKills(t, 3, async (k) => {
      if (k !== 1) return;
      await waitForProgress(t, (await progress(t)) + 1n, processes.at(-1)!);
      await upsertLocations(db, t.locations.slice(3));
    });
    const expected = expectedStock(events);
    await expectExactRows(t, expected);
    await expectExactTotals(t, expected);
    await expectStockTopicComplete(t);
  });

  it('gives the same result when every event is delivered twice (re-deliveries, SIGKILLs)', async () => {
    const t = isolation('d');
    const events = streamFor(t);
    // Like Debezium after a connector restart: each stretch of changes arrives, then again.
    const twice: CanonicalEvent[] = [];
    for (let i = 0; i < events.length; i += 500)
      twice.push(...events.slice(i, i + 500), ...events.slice(i, i + 500));
    await createTopic(brokers, t.topic, PARTITIONS);
    await produceEvents(brokers, t.topic, twice);
    await upsertLocations(db, t.locations);
    await runWithKills(t, 3);
    const expected = expectedStock(events);
    await expectExactRows(t, expected);
    await expectExactTotals(t, expected);
  });

  it('shares the partitions between two processes of one group and still gives the exact result', async () => {
    const t = isolation('s');
    const events = streamFor(t);
    await createTopic(brokers, t.topic, PARTITIONS);
    await upsertLocations(db, t.locations);
    const half = events.length / 2;
    await produceEvents(brokers, t.topic, events.slice(0, half));
    const first = start(t);
    // The second joins while the first is applying: partitions move between live consumers.
    await waitForProgress(t, BigInt(half / 5), first);
    const second = start(t);
    const assignments = (p: MaterializerProcess) =>
      p.log
        .filter((l) => l.includes('"partitions assigned"'))
        .map((l) => (JSON.parse(l) as { partitions: number[] }).partitions);
    while (assignments(second).length === 0 || assignments(first).at(-1)!.length === PARTITIONS)
      await sleep(50);
    // Both consume now; the second half of the stream is applied by both.
    await produceEvents(brokers, t.topic, events.slice(half));
    await waitCaughtUp(db, await endOffsets(brokers, t.topic), t.groupId, t.topic, [first, second], 240_000);
    const shares = [assignments(first).at(-1)!, assignments(second).at(-1)!];
    expect(shares[0]).to.not.be.empty;
    expect(shares[1]).to.not.be.empty;
    expect(shares.flat().sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
    const expected = expectedStock(events);
    await expectExactRows(t, expected);
    await expectExactTotals(t, expected);
  });

  it('keeps messages it cannot apply in stock_rejected_events and applies the rest', async () => {
    const t = isolation('r');
    // In source order (sequences ascend): a good movement, one in another unit, a good one.
    const [good1, kilos, good2] = generateStream({
      seed: 7,
      events: 3,
      levels: 0,
      late: 0,
      skus: [t.skus[0]!],
      locations: [t.locations[0]!.id],
    }) as [CanonicalEvent, CanonicalEvent, CanonicalEvent];
    kilos.data.unit = 'KG';
    await createTopic(brokers, t.topic, 1);
    const producer = kafkajsClient({ brokers, clientId: 'stockline-test' }).producer();
    await producer.connect();
    await producer.send({
      topic: t.topic,
      messages: [
        toKafkaMessage(good1),
        { key: 'not-canonical', value: 'hello' },
        toKafkaMessage(kilos),
        toKafkaMessage(good2),
      ],
    });
    await producer.disconnect();
    const p = start(t);
    await waitCaughtUp(db, await endOffsets(brokers, t.topic), t.groupId, t.topic, [p], 60_000);
    const rejected = await db('stock_rejected_events')
      .select<{ kafka_offset: string; message_key: string; reason: string }[]>(
        'kafka_offset',
        'message_key',
        'reason',
      )
      .where({ group_id: t.groupId })
      .orderBy('kafka_offset');
    expect(rejected.map((r) => [r.kafka_offset, r.message_key])).to.deep.equal([
      ['1', 'not-canonical'],
      ['2', kilos.subject],
    ]);
    expect(rejected[0]!.reason).to.contain('ce_type');
    expect(rejected[1]!.reason).to.contain('unit KG');
    await expectExactRows(t, expectedStock([good1, good2]));
  });
});
