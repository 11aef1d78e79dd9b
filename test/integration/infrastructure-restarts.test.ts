// Routine infrastructure restarts while `stockline run` (every role the test configuration
// enables, in one process: the SAP capture, the MQ replicator, the mapper, the materializer and
// the API) processes a simulation: the Kafka broker, the Kafka Connect worker and the stock
// database (the stack's PostgreSQL, which also holds the store and SAP stand-in databases) are
// killed mid-run and started again. Every role rides through by itself, the simulator keeps
// writing, and the stock table ends up exactly as the simulation expects (`verify`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { parseSimulateFlags } from '../../src/dev/simulator/options.js';
import { simulate, type SimulationReport } from '../../src/dev/simulator/simulate.js';
import { awaitStock, stockTableReader, tally } from '../../src/dev/simulator/verify.js';
import { createStockDb } from '../../src/stock/db.js';
import { uniqueSuffix } from '../support/config.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

const BIN = path.resolve('bin/stockline.js');

/**
 * A short run: 20 s of activity planned, long enough to kill a part in the middle of it. A
 * number of events rather than a duration: the writes the outage held up are made after it.
 */
const EVENTS = 6000;
const RATE = 300;
/** When the part is killed, and how long it stays down (the report: "started again 10 s later"). */
const KILL_AT_MS = 6000;
const DOWN_MS = 10_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface RunProcess {
  child: ChildProcess;
  stderr: string[];
  exited: Promise<number | null>;
}

/** `stockline run` (every role) in a child process, reading and writing this file's own topics and groups. */
function spawnRun(env: Record<string, string>): RunProcess {
  const child = spawn(process.execPath, [BIN, 'run'], {
    env: { ...process.env, STOCKLINE__LOG__LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    stderr.push(...lines);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr, exited };
}

/** Until the stock API of `stockline run` answers /ready: every role started. */
async function waitReady(run: RunProcess, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null)
      throw new Error(`stockline run exited at start:\n${run.stderr.slice(-20).join('\n')}`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(500);
  }
  throw new Error(`stockline run not ready within 60 s:\n${run.stderr.slice(-20).join('\n')}`);
}

type Fault = 'kafka' | 'connect' | 'postgres';

describe('infrastructure restarts: every role rides through them (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  let dir: string;
  let db: Knex;
  let run: RunProcess | undefined;
  const suffix = uniqueSuffix();

  before(async () => {
    env = await ensureStack();
    dir = mkdtempSync(path.join(os.tmpdir(), 'stockline-restarts-'));
    db = createStockDb(env.config, { applicationName: 'stockline-test' });
  });
  afterEach(async () => {
    if (run && run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      const exited = await Promise.race([run.exited, sleep(20_000).then(() => 'timeout' as const)]);
      if (exited === 'timeout') {
        run.child.kill('SIGKILL');
        await run.exited;
      }
    }
    run = undefined;
    // Whatever happened, the next test (and the next test file) gets a whole stack.
    await env.stack.up();
  });
  after(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Kills a part of the stack as a crash would, and starts it again `DOWN_MS` later. */
  async function crashAndRestart(part: Fault): Promise<void> {
    const { parts } = env.stack;
    if (part === 'postgres') {
      await parts.postgres.stop('immediate');
    } else {
      const pid = parts[part].pid();
      if (pid === undefined) throw new Error(`${part} is not running`);
      process.kill(pid, 'SIGKILL');
    }
    console.log(`      ${part} killed`);
    await sleep(DOWN_MS);
    const started = Date.now();
    await env.stack.up([part]);
    console.log(`      ${part} up again after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  async function runWithFault(fault: Fault, client: 'kafkajs' | 'node-rdkafka'): Promise<void> {
    const t0 = Date.now();
    const port = await freePort();
    const id = `${suffix}-${fault}-${client}`;
    run = spawnRun({
      STOCKLINE__KAFKA__CLIENT: client,
      // Topics and groups of its own per test: a previous test's process, stopped or killed,
      // may still hold its group membership or transactional id for a session timeout.
      STOCKLINE__MAPPER__CANONICALTOPIC: `test.inventory.events.${id}`,
      STOCKLINE__MAPPER__DEADLETTERTOPIC: `test.inventory.deadletter.${id}`,
      STOCKLINE__MAPPER__GROUPID: `test-mapper-${id}`,
      STOCKLINE__MATERIALIZER__GROUPID: `test-materializer-${id}`,
      STOCKLINE__MATERIALIZER__STOCKTOPIC: `test.inventory.stock.${id}`,
      // The SAP capture's position and keys of its own: it starts with an initial load.
      STOCKLINE__SAP__STATETOPIC: `test.sap-capture.state.${id}`,
      STOCKLINE__API__PORT: String(port),
    });
    await waitReady(run, port);
    const options = parseSimulateFlags({
      events: String(EVENTS),
      rate: String(RATE),
      items: '60',
      // A count bars older movements, so a movement that occurred after a count but reaches the
      // stock table before it is overwritten (src/materializer/README.md). After an outage the
      // source topics catch up at different speeds, far more than the default 10 s apart: no
      // movement of a counted item there for the rest of the run.
      countFreeze: '300',
      expectFile: path.join(dir, `${id}.json`),
    });
    // The part dies a few seconds into the writes, while every role is busy.
    let fault$: Promise<void> | undefined;
    let report: SimulationReport;
    try {
      report = await simulate(env.config, options, {
        onStart: () => {
          fault$ = sleep(KILL_AT_MS).then(() => crashAndRestart(fault));
        },
      });
    } finally {
      await fault$;
    }
    const { result, expectation } = report;
    console.log(
      `      simulated ${result.written} events in ${(result.elapsedMs / 1000).toFixed(1)} s, ${result.outcome}`,
    );
    expect(result.outcome, String(result.error)).to.equal('complete');
    expect(result.written).to.equal(EVENTS);

    const log = () => `stockline run (last lines):\n${run!.stderr.slice(-30).join('\n')}`;
    expect(run.child.exitCode, `stockline run exited\n${log()}`).to.equal(null);
    const checked = await awaitStock(stockTableReader(db, expectation.skuPrefix), expectation.stock, {
      timeoutMs: 180_000,
      settleMs: 60_000,
      // Stop waiting as soon as the process is gone: that alone fails the test.
      wait: (ms) =>
        Promise.race([
          sleep(ms),
          run!.exited.then((code) => {
            throw new Error(`stockline run exited with ${code}\n${log()}`);
          }),
        ]),
    });
    expect(run.child.exitCode, `stockline run exited\n${log()}`).to.equal(null);
    console.log(
      `      verify: ${tally(checked.comparison)} after ${(checked.waitedMs / 1000).toFixed(1)} s; test ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    expect(checked.comparison.differences, `${tally(checked.comparison)}\n${log()}`).to.deep.equal([]);
    expect(checked.ending).to.equal('matched');
  }

  it('a Kafka broker restart (SIGKILL, up 10 s later): kafkajs mapper', () =>
    runWithFault('kafka', 'kafkajs'));

  it('a Kafka broker restart (SIGKILL, up 10 s later): node-rdkafka mapper', () =>
    runWithFault('kafka', 'node-rdkafka'));

  it('a Kafka Connect worker restart (SIGKILL, up 10 s later)', () => runWithFault('connect', 'kafkajs'));

  it('a stock database restart (PostgreSQL crash: immediate stop, up 10 s later)', () =>
    runWithFault('postgres', 'kafkajs'));
});
