// No loss, no duplicate (issue #11's proof): 20,000 persistent messages on a RabbitMQ queue, the
// replicator (`stockline run --role mq-replicator`) as a child process SIGKILLed again and again
// (at random moments, and at each crash point of src/replicator/crash.ts), then drained. The raw
// and dead-letter topics, read with read_committed, hold every sequence number exactly once, in
// queue order, and a message forced past the backout threshold is a dead letter exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as amqpConnect } from 'amqplib';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { StocklineConfig } from '../../src/config/schema.js';
import type { KafkaRecord } from '../../src/kafka/port.js';
import { backoutQueueName } from '../../src/mq/amqp-transport.js';
import { createLogger } from '../../src/observability/logger.js';
import { CRASH_POINTS } from '../../src/replicator/crash.js';
import { connectTransport } from '../../src/replicator/transports.js';
import { uniqueSuffix } from '../support/config.js';
import { createKafkaAdmin, readCommitted } from '../support/kafka.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

const BIN = path.resolve('bin/stockline.js');
const MESSAGES = 20_000;
const BACKOUT_THRESHOLD = 30;
/** Kills at random moments, besides one per crash point. */
const RANDOM_KILLS = 12;
/** How long a child told to crash may take to reach its crash point. */
const CRASH_WAIT_MS = Number(process.env.TEST_CRASH_WAIT_MS ?? 60_000);
const log = createLogger({ level: 'silent' });

interface Child {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the signal that ended it (SIGKILL), or null for an exit of its own. */
  exited: Promise<NodeJS.Signals | null>;
  /** Resolves once it holds the queue. */
  holding: Promise<void>;
}

/** Whether the text of a pino line says `msg` starts with `prefix`. */
const logged = (line: string, prefix: string): boolean => {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === 'string' && parsed.msg.startsWith(prefix);
  } catch {
    return false;
  }
};

describe('MQ replicator: no loss, no duplicate through SIGKILLs (RabbitMQ, Kafka; integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  const suffix = uniqueSuffix();
  const queue = `test.mqrepl.${suffix}`;
  const topics = {
    raw: `test.mqrepl.raw.${suffix}`,
    dlq: `test.mqrepl.dlq.${suffix}`,
    state: `test.mqrepl.state.${suffix}`,
  };
  let config: StocklineConfig;
  let brokers: string[];
  let env: Record<string, string>;
  const children: Child[] = [];

  before(async () => {
    const stack = await ensureStack();
    config = structuredClone(stack.config);
    brokers = [...config.kafka.brokers];
    config.mq = {
      ...config.mq,
      transport: 'amqp',
      queueManager: 'TESTQM',
      user: 'guest',
      password: 'guest',
      queues: [{ queue, topic: topics.raw, key: 'none', batchSize: 100 }],
      deadLetterTopic: topics.dlq,
      stateTopic: topics.state,
      backoutThreshold: BACKOUT_THRESHOLD,
    };
    env = {
      STOCKLINE__LOG__LEVEL: 'info',
      STOCKLINE__MQ__TRANSPORT: 'amqp',
      STOCKLINE__MQ__AMQPURL: config.mq.amqpUrl,
      STOCKLINE__MQ__QUEUEMANAGER: 'TESTQM',
      STOCKLINE__MQ__USER: 'guest',
      STOCKLINE__MQ__PASSWORD: 'guest',
      STOCKLINE__MQ__QUEUES: JSON.stringify(config.mq.queues),
      STOCKLINE__MQ__DEADLETTERTOPIC: topics.dlq,
      STOCKLINE__MQ__STATETOPIC: topics.state,
      STOCKLINE__MQ__BACKOUTTHRESHOLD: String(BACKOUT_THRESHOLD),
    };
  });

  after(async () => {
    for (const c of children)
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    const model = await amqpConnect(
      config.mq.amqpUrl.replace('://', `://${config.mq.user}:${config.mq.password}@`),
    );
    const channel = await model.createChannel();
    for (const q of [queue, backoutQueueName(queue)]) await channel.deleteQueue(q).catch(() => undefined);
    await model.close();
    // The replicator created them (one partition each, the state topic compacted).
    const admin = createKafkaAdmin({ brokers, clientId: 'stockline-test' });
    await admin.deleteTopics(Object.values(topics)).catch(() => undefined);
    await admin.close();
  });

  function start(crashAt?: string): Child {
    const child = spawn(process.execPath, [BIN, 'run', '--role', 'mq-replicator'], {
      env: { ...process.env, ...env, ...(crashAt ? { STOCKLINE_CRASH_AT: crashAt } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let isHolding!: () => void;
    const holding = new Promise<void>((resolve) => (isHolding = resolve));
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const got = (partial + chunk.toString('utf8')).split('\n');
        partial = got.pop() ?? '';
        lines.push(...got);
        if (got.some((l) => logged(l, 'holding the queue'))) isHolding();
      });
    }
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const c = { child, lines, exited, holding };
    children.push(c);
    return c;
  }

  /** Waits for the child to hold the queue (or die first); throws with its last lines if neither comes. */
  async function untilHolding(c: Child): Promise<boolean> {
    const outcome = await Promise.race([
      c.holding.then(() => 'holding' as const),
      c.exited.then(() => 'exited' as const),
      sleep(60_000).then(() => 'timeout' as const),
    ]);
    if (outcome === 'timeout')
      throw new Error(`the replicator did not start:\n${c.lines.slice(-20).join('\n')}`);
    return outcome === 'holding';
  }

  it('yields every message exactly once, in order, through crashes at every point and at random', async () => {
    // The poison message first, backed out past the threshold, then the numbered ones.
    const transport = await connectTransport(config.mq, log);
    const writer = await transport.writer({ queue });
    await writer.put([{ body: Buffer.from('poison'), persistent: true }]);
    // Backed out BACKOUT_THRESHOLD - 1 times, then got once more and given back by the close: its backout
    // count is the threshold. (A backout followed by a close counts twice on RabbitMQ: the
    // delivery the consumer prefetched after the backout comes back too.)
    const session = await transport.open({ queue });
    for (let i = 0; i < BACKOUT_THRESHOLD - 1; i++) {
      const [m] = await session.get(1, 5000);
      expect(m?.body.toString(), 'the poison message at the head').to.equal('poison');
      await session.backout();
    }
    expect((await session.get(1, 5000)).map((m) => m.backoutCount)).to.deep.equal([BACKOUT_THRESHOLD - 1]);
    await session.close();
    // The numbered messages go on in portions, one before each replicator: it replicates 20,000
    // messages in seconds, so a queue filled at once would be empty before most crash points.
    let sent = 0;
    const putPortion = async (count: number) => {
      const upTo = Math.min(MESSAGES, sent + count);
      for (; sent < upTo; sent += Math.min(500, upTo - sent))
        await writer.put(
          Array.from({ length: Math.min(500, upTo - sent) }, (_, j) => ({
            body: Buffer.from(`seq:${sent + j}`),
            persistent: true,
          })),
        );
    };

    // Each crash point at least once (during-recovery right after a death in the gap it
    // recovers from, with no random kill between them), and random kills anywhere else.
    type Step = { crashAt: string } | { killAfterMs: number };
    const units: Step[][] = CRASH_POINTS.filter((p) => p !== 'during-recovery').map((p) => [
      { crashAt: `${p}:${1 + Math.floor(Math.random() * 4)}` },
    ]);
    units.push([{ crashAt: 'after-kafka-commit:2' }, { crashAt: 'during-recovery' }]);
    for (let i = 0; i < RANDOM_KILLS; i++)
      units.splice(Math.floor(Math.random() * (units.length + 1)), 0, [
        { killAfterMs: Math.floor(Math.random() * 400) },
      ]);
    // First a batch that surely commits: the poison, at the threshold now, must not be in a batch
    // a crash gives back (RabbitMQ would move it to <queue>.backout past its delivery limit).
    const plan = [{ crashAt: 'after-queue-commit:1' }, ...units.flat()];
    const hits = new Map<string, number>();
    const journal: string[] = [];
    const portion = Math.ceil(MESSAGES / plan.length);
    for (const step of plan) {
      await putPortion(portion);
      const began = Date.now();
      const note = (what: string) =>
        journal.push(`${JSON.stringify(step)} ${what} in ${Date.now() - began} ms`);
      if ('crashAt' in step) {
        const c = start(step.crashAt);
        const signal = await Promise.race([c.exited, sleep(CRASH_WAIT_MS).then(() => 'timeout' as const)]);
        if (signal === 'timeout') c.child.kill('SIGKILL');
        const point = step.crashAt.split(':')[0]!;
        note(
          signal === 'timeout'
            ? `timeout; its last lines:\n  ${c.lines.slice(-8).join('\n  ')}`
            : String(signal),
        );
        if (signal === 'SIGKILL') hits.set(point, (hits.get(point) ?? 0) + 1);
        else if (signal !== 'timeout')
          throw new Error(
            `the replicator ended without its crash at ${point}:\n${c.lines.slice(-20).join('\n')}`,
          );
      } else {
        const c = start();
        if (await untilHolding(c)) {
          await sleep(step.killAfterMs);
          c.child.kill('SIGKILL');
        }
        await c.exited;
        note('killed');
      }
    }

    await putPortion(MESSAGES);
    await writer.close();
    await transport.close();

    // The drain: a replicator with no crash until both topics hold everything.
    const last = start();
    const raw = await readCommitted(brokers, topics.raw, {
      atLeast: MESSAGES,
      settleMs: 3000,
      timeoutMs: 180_000,
    });
    last.child.kill('SIGTERM');
    expect(await last.exited, 'the last replicator stops on SIGTERM').to.equal(null);
    const letters = await readCommitted(brokers, topics.dlq, { atLeast: 1, settleMs: 1000 });

    const text = (r: KafkaRecord) => r.value?.toString('utf8') ?? '';
    const sequence = raw.map((r) => Number(text(r).slice('seq:'.length)));
    expect(sequence.length, 'raw records').to.equal(MESSAGES);
    expect(sequence, 'every sequence number once, in queue order').to.deep.equal(
      Array.from({ length: MESSAGES }, (_, i) => i),
    );
    expect(letters.map(text), 'the poison message, once').to.deep.equal(['poison']);
    expect(letters[0]?.headers['stockline.dlq.reason']?.toString()).to.equal('backout-threshold');
    for (const p of CRASH_POINTS)
      expect(hits.get(p) ?? 0, `crashes at ${p}:\n${journal.join('\n')}`).to.be.greaterThan(0);
    const recovered = children.some((c) => c.lines.some((l) => logged(l, 'recovery: ')));
    expect(recovered, 'a replicator discarded messages already in Kafka (recovery path)').to.equal(true);

    const check = await connectTransport(config.mq, log);
    const drained = await check.open({ queue });
    expect(await drained.depth(), 'queue depth after the drain').to.equal(0);
    await drained.close();
    await check.close();
  });
});
