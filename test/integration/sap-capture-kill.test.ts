// No loss, no duplicate through SIGKILLs (issue #12's proof): movements written to the stand-in
// while the capture (`stockline run --role sap-capture`, a child process) is SIGKILLed at random
// moments and at each crash point of src/capture/crash.ts; some transactions stay open past the
// safety lag and commit after later ones. The raw topic, read with read_committed, then holds
// every movement exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { CRASH_POINTS } from '../../src/capture/crash.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import { uniqueSuffix } from '../support/config.js';
import { createKafkaAdmin, readCommitted } from '../support/kafka.js';
import { createStandinSchema, entryAt, standinSapConfig, type Movement } from '../support/sap-standin.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

const BIN = path.resolve('bin/stockline.js');
/** Movements written (STOCKLINE_TEST_SAP_MOVEMENTS to change it). */
const MOVEMENTS = Number(process.env.STOCKLINE_TEST_SAP_MOVEMENTS ?? 50_000);
const BATCH = 250;
const RANDOM_KILLS = 12;
/** How often a crash step is tried before its point counts as never reached. */
const CRASH_ATTEMPTS = 3;

describe('SAP capture: every movement exactly once through SIGKILLs (stand-in, Kafka; integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it(`captures ${MOVEMENTS} movements, late commits among them, exactly once`, async () => {
    const env = await ensureStack();
    const suffix = uniqueSuffix();
    const schema = `sapkill_${suffix}`;
    const standin = await createStandinSchema(env, schema);
    cleanups.push(standin.drop);
    const sap = standinSapConfig(env, schema, suffix, {
      safetyLagMs: 1000,
      sweepIntervalMs: 1000,
      pollIntervalMs: 100,
      batchSize: 1000,
    });
    const topic = `${sap.topicPrefix}.${schema}.MATDOC`;
    const brokers = [...env.config.kafka.brokers];
    cleanups.push(async () => {
      const admin = createKafkaAdmin({ brokers, clientId: 'stockline-test' });
      await admin
        .deleteTopics([topic, `${sap.topicPrefix}.${schema}.MARD`, sap.stateTopic])
        .catch(() => undefined);
      await admin.close();
    });
    const childEnv: Record<string, string> = {
      STOCKLINE__LOG__LEVEL: 'info',
      ...Object.fromEntries(
        (Object.entries(sap) as [keyof StocklineConfig['sap'], unknown][])
          .filter(([k]) => k !== 'tls' && k !== 'tables')
          .map(([k, v]) => [`STOCKLINE__SAP__${k.toUpperCase()}`, String(v)]),
      ),
      STOCKLINE__SAP__TLS__ENABLED: 'false',
    };
    const start = (crashAt?: string) => {
      const child = spawn(process.execPath, [BIN, 'run', '--role', 'sap-capture'], {
        env: { ...process.env, ...childEnv, ...(crashAt ? { STOCKLINE_CRASH_AT: crashAt } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const errors: string[] = [];
      let isUp!: () => void;
      const up = new Promise<void>((resolve) => (isUp = resolve));
      // Its log (pino, on stderr): the last lines for a failure, the start line to write after.
      for (const stream of [child.stdout, child.stderr])
        stream.on('data', (b: Buffer) => {
          const text = b.toString();
          errors.push(text);
          if (errors.length > 20) errors.shift();
          if (text.includes('SAP capture: started from the committed position')) isUp();
        });
      children.push(child);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
      return { child, exited, errors, up };
    };

    // The writer: a portion of the movements before each step of the plan, in batches, one in
    // eight held open for a while (still in SAP's update task) while later batches commit, then
    // committed with its older entry times.
    let written = 0;
    let n = 0;
    const held: Promise<void>[] = [];
    const writePortion = async (count: number) => {
      const upTo = Math.min(MOVEMENTS, n + count);
      for (let b = 0; n < upTo; b++) {
        const batch: Movement[] = [];
        for (let i = 0; i < BATCH && n < upTo; i++, n++)
          batch.push({
            mblnr: String(6_300_000_000 + n),
            entry: entryAt(Date.now() - Math.floor(Math.random() * 800)),
          });
        // The third batch of each portion, and one in eight besides, are late.
        if (b === 2 || n % (BATCH * 8) === 0) {
          const client = await standin.holdOpen();
          await standin.insert(client, batch);
          held.push(
            sleep(6000 + Math.random() * 3000).then(async () => {
              await client.query('COMMIT');
              await client.end();
              written += batch.length;
            }),
          );
        } else {
          await standin.insert(standin.app, batch);
          written += batch.length;
        }
        await sleep(10);
      }
    };

    const kills = { random: 0, points: new Map<string, string>() };
    // during-sweep: the first sweep that finds late rows (a portion holds only a few of them).
    const plan: ({ crashAt: string } | { killAfterMs: number })[] = CRASH_POINTS.filter(
      (p) => p !== 'during-initial-load',
    ).map((p) => ({ crashAt: `${p}:${p === 'during-sweep' ? 1 : 1 + Math.floor(Math.random() * 3)}` }));
    for (let i = 0; i < RANDOM_KILLS; i++)
      plan.splice(Math.floor(Math.random() * (plan.length + 1)), 0, {
        killAfterMs: 300 + Math.floor(Math.random() * 2000),
      });
    // A crash point depends on what the portion brings (the sweep's, on late rows the fast path
    // passed): a step that did not reach its point is tried again with a portion of its own, up
    // to CRASH_ATTEMPTS times; the portions leave room for those, and the rest is written last.
    const portion = Math.ceil(MOVEMENTS / (plan.length + CRASH_ATTEMPTS));
    for (const step of plan) {
      let writing: Promise<void> = Promise.resolve();
      if ('crashAt' in step) {
        for (let attempt = 1; attempt <= CRASH_ATTEMPTS; attempt++) {
          await writing;
          const c = start(step.crashAt);
          // Written once it is up, so that its fast path passes the late rows while they are open.
          writing = Promise.race([c.up, c.exited]).then(() => writePortion(portion));
          const signal = await Promise.race([c.exited, sleep(30_000).then(() => 'timeout' as const)]);
          if (signal === 'timeout') c.child.kill('SIGKILL');
          await c.exited;
          kills.points.set(
            step.crashAt,
            signal === 'SIGKILL'
              ? 'died there'
              : `did not in ${attempt} attempts (${String(signal)}): ${c.errors.join('').slice(-300)}`,
          );
          if (signal === 'SIGKILL') break;
        }
      } else {
        writing = writePortion(portion);
        const c = start();
        await sleep(step.killAfterMs);
        c.child.kill('SIGKILL');
        await c.exited;
        kills.random++;
      }
      await writing;
    }
    await writePortion(MOVEMENTS - n);
    await Promise.all(held);
    expect(written).to.equal(MOVEMENTS);
    const last = start();
    const records = await readCommitted(brokers, topic, {
      atLeast: MOVEMENTS,
      settleMs: 5000,
      timeoutMs: 600_000,
    });
    last.child.kill('SIGTERM');
    await last.exited;
    const seen = new Map<string, number>();
    for (const r of records) {
      const { MBLNR } = JSON.parse(String(r.key)) as { MBLNR: string };
      seen.set(MBLNR, (seen.get(MBLNR) ?? 0) + 1);
    }
    const twice = [...seen].filter(([, n]) => n > 1);
    expect(twice, 'movements written more than once').to.deep.equal([]);
    expect(
      seen.size,
      `movements captured (kills: ${kills.random} random, points ${JSON.stringify([...kills.points])})`,
    ).to.equal(MOVEMENTS);
    for (const [point, outcome] of kills.points) expect(outcome, point).to.equal('died there');
    expect(kills.points.size).to.equal(CRASH_POINTS.length - 1);
  });
});
