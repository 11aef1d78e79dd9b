// The SAP capture against the PostgreSQL stand-in and Kafka (issue #12's proof, in process):
// a late commit is captured exactly once, by the sweep; the initial load around a cut counts
// each movement once.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { compileCaptureOptions } from '../../src/capture/options.js';
import { startCapture } from '../../src/capture/service.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import type { KafkaRecord } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { uniqueSuffix } from '../support/config.js';
import { createKafkaAdmin, readCommitted } from '../support/kafka.js';
import { createStandinSchema, entryAt, standinSapConfig } from '../support/sap-standin.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

const log = createLogger({ level: 'silent' });

interface Envelope {
  op: string;
  after: Record<string, string>;
  source: { connector: string; snapshot?: string; ts_ms: number; sequence: string };
}
const parse = (r: KafkaRecord) => JSON.parse(String(r.value)) as Envelope;
const mblnrs = (records: KafkaRecord[]) => records.map((r) => parse(r).after.MBLNR!);

describe('SAP capture on the stand-in (PostgreSQL, Kafka; integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    env = await ensureStack();
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  async function setUp(overrides: Partial<StocklineConfig['sap']>) {
    const suffix = uniqueSuffix();
    const schema = `sapcap_${suffix}`;
    const standin = await createStandinSchema(env, schema);
    const config = structuredClone(env.config) as StocklineConfig;
    config.sap = standinSapConfig(env, schema, suffix, overrides);
    const options = compileCaptureOptions(config);
    cleanups.push(standin.drop, async () => {
      const admin = createKafkaAdmin({ brokers: config.kafka.brokers, clientId: 'stockline-test' });
      await admin
        .deleteTopics([options.topics.matdoc, options.topics.mard, options.core.stateTopic])
        .catch(() => undefined);
      await admin.close();
    });
    return { standin, options, brokers: config.kafka.brokers };
  }

  it('a movement whose transaction commits after later ones, with an older entry time, is captured once, by the sweep', async () => {
    const { standin, options, brokers } = await setUp({});
    const now = Date.now();
    const held = await standin.holdOpen();
    cleanups.push(() => held.end());
    await standin.insert(held, [{ mblnr: '6100000001', entry: entryAt(now - 5000) }]);
    const capture = await startCapture(options, log);
    cleanups.push(() => capture.stop());
    await standin.insert(standin.app, [
      { mblnr: '6100000002', entry: entryAt(now - 4000) },
      { mblnr: '6100000003', entry: entryAt(now - 3000) },
    ]);
    const before = await readCommitted(brokers, options.topics.matdoc, { atLeast: 2, settleMs: 3000 });
    // The fast path is past 6100000001's entry time (it captured the later ones) while it is open.
    expect(mblnrs(before).sort()).to.deep.equal(['6100000002', '6100000003']);
    await held.query('COMMIT');
    const after = await readCommitted(brokers, options.topics.matdoc, { atLeast: 3, settleMs: 3000 });
    expect(mblnrs(after).sort()).to.deep.equal(['6100000001', '6100000002', '6100000003']);
    const late = after.map(parse).find((e) => e.after.MBLNR === '6100000001')!;
    expect(late.op).to.equal('c');
    expect(late.source.connector).to.equal('sap-hana');
    expect(capture.stats().sweepFinds).to.equal(1);
    expect((await capture.health()).ok).to.equal(true);
    await capture.stop();
    // A restart from the committed state (position and keys) writes nothing again.
    const again = await startCapture(options, log);
    cleanups.push(() => again.stop());
    await sleep(3000);
    expect(again.stats()).to.include({ rows: 0, sweepFinds: 0 });
    await again.stop();
    expect(
      mblnrs(await readCommitted(brokers, options.topics.matdoc, { atLeast: 3, settleMs: 1000 })),
    ).to.have.length(3);
  });

  it('the initial load around a cut: MARD as of the window, the window movements once, a movement committed after the cut once', async () => {
    const { standin, options, brokers } = await setUp({ initialLoad: true });
    const now = Date.now();
    await standin.app.query(
      `INSERT INTO ${options.schema}."MARD" ("MANDT","MATNR","WERKS","LGORT","LABST","LFGJA","LFMON") VALUES ('100','000000000000100200','1100','0001','50.000','2026','11')`,
    );
    await standin.insert(standin.app, [
      { mblnr: '6200000001', entry: entryAt(now - 60000), quantity: '5.000' },
      { mblnr: '6200000004', entry: entryAt(now - 20000), quantity: '2.000' },
    ]);
    const held = await standin.holdOpen();
    cleanups.push(() => held.end());
    // Entered before the cut, committed after it: MARD at the cut does not count it.
    await standin.insert(held, [{ mblnr: '6200000002', entry: entryAt(now - 30000), quantity: '7.000' }]);
    const capture = await startCapture(options, log);
    cleanups.push(() => capture.stop());
    const levels = await readCommitted(brokers, options.topics.mard, { atLeast: 1, settleMs: 500 });
    expect(levels).to.have.length(1);
    const level = parse(levels[0]!);
    expect(level.op).to.equal('r');
    // 50 at the cut, of which 5 + 2 came in the window: 43 as of the window's start.
    expect(level.after.LABST).to.equal('43.000');
    await held.query('COMMIT');
    await standin.insert(standin.app, [
      { mblnr: '6200000003', entry: entryAt(Date.now() - 2000), quantity: '-1.000' },
    ]);
    const records = await readCommitted(brokers, options.topics.matdoc, { atLeast: 4, settleMs: 3000 });
    const events = records.map(parse);
    // Three partitions: read in partition order, so sorted here.
    expect(events.map((e) => [e.after.MBLNR, e.op, e.source.snapshot ?? null]).sort()).to.deep.equal([
      ['6200000001', 'r', 'true'],
      ['6200000002', 'c', null],
      ['6200000003', 'c', null],
      ['6200000004', 'r', 'last'],
    ]);
    for (const e of events) expect(e.source.ts_ms).to.be.greaterThan(level.source.ts_ms);
    // Level + the movements after it: 43 + 5 + 2 + 7 - 1 = 56 = 50 at the cut + 7 - 1.
    const total = events.reduce(
      (sum, e) => sum + (e.after.SHKZG === 'H' ? -1 : 1) * Number(e.after.MENGE),
      Number(level.after.LABST),
    );
    expect(total).to.equal(56);
    // 6200000002 is before the cut's last row (6200000004): the sweep's, not the fast path's.
    expect(capture.stats().sweepFinds).to.equal(1);
  });
});
