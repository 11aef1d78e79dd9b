import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { connect as amqpConnect } from 'amqplib';
import type mysql from 'mysql2/promise';
import type { CanonicalEvent } from '../../src/canonical/event.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import { UsageError } from '../../src/errors.js';
import { readMappings } from '../../src/mapper/mapping-files.js';
import type { RawInput } from '../../src/mapping/compile.js';
import { readExpectation } from '../../src/dev/simulator/expectation-file.js';
import { WHMOVE_TOPIC } from '../../src/dev/simulator/mainframe/whmove.js';
import { parseSimulateFlags, type SimulateOptions } from '../../src/dev/simulator/options.js';
import { simulate, type SimulationReport } from '../../src/dev/simulator/simulate.js';
import { connectStoreMariadb, connectStorePostgres, createScratchDatabase } from '../support/databases.js';
import { backoutQueueName } from '../../src/mq/amqp-transport.js';
import type { QueueMessage } from '../../src/mq/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { rawRecord } from '../../src/replicator/records.js';
import { connectTransport } from '../../src/replicator/transports.js';
import { uniqueSuffix } from '../support/config.js';
import { sourceTargets, type SourceTargets } from '../../src/dev/simulator/writers/targets.js';
import pg from 'pg';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

/** Takes `count` messages off the queue (committed: the test's queue is its own), or fails after the timeout. */
async function drainQueue(mq: StocklineConfig['mq'], queue: string, count: number): Promise<QueueMessage[]> {
  const transport = await connectTransport(mq, createLogger({ level: 'silent' }));
  const taken: QueueMessage[] = [];
  try {
    const session = await transport.open({ queue });
    const deadline = Date.now() + 60_000;
    while (taken.length < count && Date.now() < deadline) {
      taken.push(...(await session.get(Math.min(500, count - taken.length), 1000)));
      await session.commit();
    }
    // Nothing more than the run put.
    taken.push(...(await session.get(1, 500)));
    await session.close();
  } finally {
    await transport.close();
  }
  return taken;
}

describe('simulate: activity written into every source (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  let dir: string;
  let options: SimulateOptions;
  let report: SimulationReport;
  let config: StocklineConfig;
  const queue = `test.simulate.whmove.${uniqueSuffix()}`;
  let targets: SourceTargets;
  let dropSap: () => Promise<void>;
  const sapClient = async () => {
    const client = new pg.Client(targets.sapPostgres);
    await client.connect();
    return client;
  };

  before(async () => {
    env = await ensureStack();
    // The SAP writes go to a stand-in of the test's own (the shape of this checkout's
    // connectors/seed/sap-standin.sql, whatever the shared stack's "sap" database holds).
    const sapDb = `sap_sim_${randomBytes(4).toString('hex')}`;
    dropSap = await createScratchDatabase(env, sapDb);
    targets = {
      ...sourceTargets(env.config),
      sapPostgres: { ...sourceTargets(env.config).sapPostgres, database: sapDb },
    };
    const seed = await sapClient();
    try {
      await seed.query(readFileSync('connectors/seed/sap-standin.sql', 'utf8'));
    } finally {
      await seed.end();
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'stockline-simulate-'));
    // A few hundred events, slow enough that transfers shipped early are received in the run.
    options = parseSimulateFlags({
      events: '400',
      rate: '80',
      seed: '2024',
      items: '40',
      expectFile: path.join(dir, 'run.json'),
    });
    // The WHMOVE records go on the queue mq.queues replicates to the WHMOVE topic: one of its own.
    config = structuredClone(env.config);
    config.mq.queues = [{ queue, topic: WHMOVE_TOPIC, key: 'none', batchSize: 200 }];
    targets = { ...sourceTargets(config), sapPostgres: targets.sapPostgres };
    report = await simulate(config, options, { targets });
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropSap();
    const { amqpUrl, user, password } = config.mq;
    const model = await amqpConnect(amqpUrl.replace('://', `://${user || 'guest'}:${password || 'guest'}@`));
    const channel = await model.createChannel();
    for (const q of [queue, backoutQueueName(queue)]) await channel.deleteQueue(q).catch(() => undefined);
    await model.close();
  });

  it('writes every planned event and an expectation file that reads back', () => {
    expect(report.result.outcome).to.equal('complete');
    expect(report.result.written).to.equal(400);
    const file = readExpectation(report.file);
    expect(file.runId).to.equal(options.runId);
    expect(file.run.events).to.equal(400);
    expect(Object.keys(file.stock).length).to.be.above(20);
    for (const key of Object.keys(file.stock)) expect(key.startsWith(file.skuPrefix)).to.equal(true);
  });

  it('the rows of each store table are in the store databases, counted per table', async () => {
    const prefix = `${report.expectation.skuPrefix}%`;
    const { counts } = report.result;
    const pgClient = await connectStorePostgres(env, 'store');
    const maria = await connectStoreMariadb(env);
    try {
      const pgCount = async (sql: string) =>
        Number((await pgClient.query<{ n: string }>(sql, [prefix])).rows[0]!.n);
      const mariaCount = async (sql: string) => {
        const [rows] = await maria.query<(mysql.RowDataPacket & { n: number })[]>(sql.replace('$1', '?'), [
          prefix,
        ]);
        return Number(rows[0]!.n);
      };
      for (const [source, n] of [
        ['store-pg', pgCount],
        ['store-maria', mariaCount],
      ] as const) {
        const table = (t: string) => counts[source][t] ?? { inserted: 0, updated: 0 };
        const rows = async (t: string, where = '') =>
          n(`SELECT count(*) AS n FROM ${t} WHERE sku LIKE $1 ${where}`);
        expect(await rows('items'), `${source} items`).to.equal(40);
        expect(await rows('sale_lines'), `${source} sale_lines`)
          .to.equal(table('sale_lines').inserted)
          .and.above(0);
        expect(await rows('goods_receipts'), `${source} goods_receipts`).to.equal(
          table('goods_receipts').inserted,
        );
        expect(await rows('transfers'), `${source} transfers`).to.equal(table('transfers').inserted);
        expect(await rows('transfers', "AND status = 'received'"), `${source} received`).to.equal(
          table('transfers').updated,
        );
        expect(await rows('stock_on_hand'), `${source} stock_on_hand`).to.equal(
          table('stock_on_hand').inserted,
        );
      }
      const received = ['store-pg', 'store-maria'] as const;
      expect(
        received.reduce((sum, s) => sum + (counts[s].transfers?.updated ?? 0), 0),
        'transfers received',
      ).to.be.above(0);
    } finally {
      await pgClient.end();
      await maria.end();
    }
  });

  it('the SAP goods movements are in MATDOC, material numbers zero-padded to 18', async () => {
    const sap = await sapClient();
    try {
      const { rows } = await sap.query<{ MATNR: string; MBLNR: string }>(
        'SELECT "MATNR", "MBLNR" FROM sapabap1."MATDOC" WHERE "MATNR" LIKE $1',
        [`%${report.expectation.skuPrefix}%`],
      );
      expect(rows.length).to.equal(report.result.counts.sap.MATDOC?.inserted).and.above(0);
      for (const r of rows) expect(r.MATNR).to.have.length(18).and.match(/^0+S/);
    } finally {
      await sap.end();
    }
  });

  it('puts the WHMOVE records on the mainframe queue, persistent, with their message ids; as the replicator mirrors them they map with the shipped mainframe-whmove mapping', async () => {
    const expected = report.result.counts.mainframe['WH.STOCK.MOVES']?.inserted ?? 0;
    expect(expected).to.be.above(0);
    const messages = await drainQueue(config.mq, queue, expected);
    expect(messages).to.have.length(expected);
    // The run's message ids carry its id after "AMQ QMWH01  " (12 bytes), each once.
    const runHex = Buffer.from(options.runId, 'latin1').toString('hex');
    const ids = messages.map((m) => m.messageId.toString('hex'));
    for (const id of ids) expect(id.slice(24, 34), id).to.equal(runHex);
    expect(new Set(ids).size).to.equal(expected);
    for (const m of messages) {
      expect(m.persistent).to.equal(true);
      expect(m.ccsid).to.equal(37);
      expect(m.body).to.have.length(87);
    }
    const mapping = readMappings(config.mapper.mappingsDir).mappings.find(
      (m) => m.name === 'mainframe-whmove',
    )!;
    const origin = { queueManager: config.mq.queueManager, queue };
    const events: CanonicalEvent[] = [];
    for (const [i, m] of messages.entries()) {
      // The record the replicator makes of the message (src/replicator/records.ts).
      const r = rawRecord(origin, WHMOVE_TOPIC, 'none', m);
      const input: RawInput = {
        topic: WHMOVE_TOPIC,
        partition: 0,
        offset: String(i),
        key: null,
        value: r.value as Buffer,
        headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)])),
      };
      const outcome = await mapping.map(input);
      expect(outcome.kind).to.equal('events');
      if (outcome.kind === 'events') events.push(...outcome.events);
    }
    expect(events).to.have.length(expected);
    for (const e of events) {
      expect(e.data.sku.startsWith(report.expectation.skuPrefix), e.data.sku).to.equal(true);
      expect(['W001', 'W002']).to.include(e.data.location);
      expect(e.data.source.position).to.match(
        new RegExp(`^QMWH01/${queue.replace(/\./g, '\\.')}/[0-9a-f]{48}$`),
      );
    }
    // Every location the records reach is one the expectation holds a row for.
    for (const e of events)
      expect(report.expectation.stock).to.have.property(`${e.data.sku}@${e.data.location}`);
  });

  it("MARD's unrestricted stock at the distribution center (SAP alone writes there) is the expected stock", async () => {
    const sap = await sapClient();
    try {
      const { rows } = await sap.query<{ MATNR: string; LABST: string; INSME: string; SPEME: string }>(
        `SELECT "MATNR", "LABST", "INSME", "SPEME" FROM sapabap1."MARD" WHERE "WERKS" = '1000' AND "MATNR" LIKE $1`,
        [`%${report.expectation.skuPrefix}%`],
      );
      expect(rows.length).to.be.above(0);
      // Some of it is stock that does not count: in quality inspection or blocked.
      expect(rows.some((r) => Number(r.INSME) !== 0 || Number(r.SPEME) !== 0)).to.equal(true);
      const expected = Object.entries(report.expectation.stock).filter(([key]) => key.endsWith('@DC01'));
      const labst = Object.fromEntries(
        rows
          .filter((r) => Number(r.LABST) !== 0)
          .map((r) => [`${r.MATNR.replace(/^0+/, '')}@DC01`, Number(r.LABST)]),
      );
      expect(labst).to.deep.equal(
        Object.fromEntries(
          expected.filter(([, v]) => Number(v.quantity) !== 0).map(([k, v]) => [k, Number(v.quantity)]),
        ),
      );
    } finally {
      await sap.end();
    }
  });

  it("SAP's late commits: documents entered earlier become visible after later ones, and all are counted", async () => {
    const late = parseSimulateFlags({
      events: '300',
      rate: '100',
      seed: '77',
      items: '5',
      sapLateShare: '0.3',
      sapMaxHold: '3s',
      expectFile: path.join(dir, 'late.json'),
    });
    const sap = await sapClient();
    // What a poller by entry time sees: when each line first became visible.
    const firstSeen = new Map<string, { seen: number; entered: string }>();
    const look = async () => {
      const { rows } = await sap.query<{ k: string; entered: string }>(
        `SELECT "MBLNR" || '/' || "ZEILE" AS k, "CPUDT_MKPF" || "CPUTM_MKPF" AS entered FROM sapabap1."MATDOC" WHERE "MATNR" LIKE $1`,
        [`%S${late.runId}%`],
      );
      const now = Date.now();
      for (const r of rows) if (!firstSeen.has(r.k)) firstSeen.set(r.k, { seen: now, entered: r.entered });
    };
    let polling = true;
    const poll = (async () => {
      while (polling) {
        await look();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    let lateReport: SimulationReport;
    try {
      lateReport = await simulate(env.config, late, { targets });
    } finally {
      polling = false;
      await poll;
      await look();
      await sap.end();
    }
    expect(lateReport.result.outcome).to.equal('complete');
    expect(lateReport.result.written).to.equal(300);
    const lines = [...firstSeen.values()];
    expect(lines.length).to.equal(lateReport.result.counts.sap.MATDOC?.inserted);
    // A line that appeared after a line entered at least a second later had been visible.
    const overtaken = lines.filter((a) => lines.some((b) => b.seen < a.seen && b.entered > a.entered));
    expect(overtaken.length).to.be.above(0);
  });

  it('refuses to run again with the same run id: its stock would not start at zero', async () => {
    const again = { ...options, events: 1, expectFile: path.join(dir, 'again.json') };
    try {
      await simulate(env.config, again, { targets });
      expect.fail('the second run was not refused');
    } catch (e) {
      expect(e).to.be.instanceOf(UsageError);
      expect((e as Error).message).to.contain(`run id ${options.runId} was used before`);
    }
  });
});
