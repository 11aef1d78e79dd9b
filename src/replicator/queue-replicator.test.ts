import { expect } from 'chai';
import { ProducerFencedError } from '../errors.js';
import { QueueTransportError } from '../mq/errors.js';
import { MemoryQueueBroker } from '../mq/memory-transport.js';
import type { QueueSession } from '../mq/port.js';
import { createLogger } from '../observability/logger.js';
import { FakeKafka } from '../../test/support/fake-transactional-producer.js';
import { CRASH_POINTS, type CrashHook, type CrashPoint } from './crash.js';
import {
  QueueReplicator,
  replicatorSession,
  type QueueReplicatorSettings,
  type ReplicatorSession,
} from './queue-replicator.js';
import { decodeState } from './state.js';

/**
 * The core on the memory transport and a fake Kafka: a crash at any point, then a fresh
 * replicator over the same queue and Kafka, yields every message exactly once, in queue order.
 */
const QUEUE = 'WH.MOVES';
const TOPIC = 'raw.whmoves';
const DLQ = 'mq.deadletter';
const SOURCE = `QM1/${QUEUE}`;
const log = createLogger({ level: 'silent' });

/** The death of the process at a crash point: nothing after it runs. */
class SimulatedCrash extends Error {}

const crashAt =
  (point: CrashPoint, nth = 1): CrashHook =>
  (at) => {
    if (at === point && --nth === 0) throw new SimulatedCrash(point);
  };

function world(settings: Partial<QueueReplicatorSettings> = {}) {
  const broker = new MemoryQueueBroker('QM1');
  const kafka = new FakeKafka();
  /** Wraps each new session (a test's way to make its commit fail). */
  let wrapSession = (s: QueueSession): ReplicatorSession => s;
  const replicator = (crash?: CrashHook) => {
    const connections: { kill(): void }[] = [];
    const r = new QueueReplicator(
      {
        queueManager: 'QM1',
        queue: QUEUE,
        topic: TOPIC,
        key: 'none',
        batchSize: 7,
        deadLetterTopic: DLQ,
        defaultBackoutThreshold: 5,
        firstWaitMs: 5,
        retryDelayMs: 5,
        ...settings,
      },
      {
        async openSession() {
          const connection = broker.connect();
          connections.push(connection);
          return wrapSession(await connection.open({ queue: QUEUE }));
        },
        openProducer: () => kafka.producer('stockline-mqrepl-QM1-WH.MOVES', SOURCE),
      },
      log,
      crash ? { crash } : {},
    );
    // The process dies: its connections break, so the broker backs out their units of work.
    const kill = () => connections.forEach((c) => c.kill());
    return { r, kill };
  };
  const put = (from: number, to: number) => {
    for (let i = from; i < to; i++) broker.putMessage(QUEUE, { body: Buffer.from(String(i)) });
  };
  /** Steps until the queue is empty; false when it crashed first (then its connections are killed). */
  const runToEnd = async (crash?: CrashHook): Promise<{ crashed: boolean; r: QueueReplicator }> => {
    const { r, kill } = replicator(crash);
    try {
      await r.start();
      while ((await r.step()) > 0 || broker.depth(QUEUE) > 0);
      await r.close();
      return { crashed: false, r };
    } catch (e) {
      if (!(e instanceof SimulatedCrash)) throw e;
      kill();
      return { crashed: true, r };
    }
  };
  const bodies = (topic: string) => kafka.topic(topic).map((r) => Number(String(r.value)));
  return {
    broker,
    kafka,
    replicator,
    put,
    runToEnd,
    bodies,
    wrap: (w: typeof wrapSession) => (wrapSession = w),
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('QueueReplicator (memory transport, fake Kafka)', () => {
  it('mirrors each message once, in queue order, with the descriptor as headers and the put time as timestamp', async () => {
    const w = world({ key: 'msgId' });
    const putTime = new Date('2026-11-27T08:15:30.120Z');
    const first = w.broker.putMessage(QUEUE, {
      body: Buffer.from([0, 1, 0xc1, 0xff]),
      correlationId: Buffer.from('abc'),
      groupId: Buffer.from('g1'),
      sequenceInGroup: 3,
      putTime,
      ccsid: 37,
      encoding: 785,
      format: 'MQSTR   ',
      priority: 4,
      putApplicationName: 'CICSPROG',
      userId: 'WHUSER',
    });
    w.put(1, 20);
    const { r } = await w.runToEnd();
    expect(w.bodies(TOPIC).slice(1)).to.deep.equal(range(20).slice(1));
    const [record] = w.kafka.topic(TOPIC);
    expect(record?.value).to.deep.equal(Buffer.from([0, 1, 0xc1, 0xff]));
    expect(record?.key).to.equal(first.messageId.toString('hex'));
    expect(record?.timestamp).to.equal(putTime.getTime());
    expect(record?.headers).to.deep.equal({
      'mq.qmgr': 'QM1',
      'mq.queue': QUEUE,
      'mq.msgId': first.messageId.toString('hex'),
      'mq.correlId': Buffer.from('abc').toString('hex'),
      'mq.groupId': Buffer.from('g1').toString('hex'),
      'mq.msgSeqNumber': '3',
      'mq.backoutCount': '0',
      'mq.putDateTime': '2026-11-27T08:15:30.120Z',
      'mq.ccsid': '37',
      'mq.encoding': '785',
      'mq.format': 'MQSTR   ',
      'mq.persistence': 'persistent',
      'mq.priority': '4',
      'mq.putApplName': 'CICSPROG',
      'mq.userId': 'WHUSER',
    });
    expect(r.stats).to.include({ messages: 20, batches: 3, deadLetters: 0, recoveryDiscards: 0 });
    const state = decodeState(w.kafka.positions.get(SOURCE) ?? null, {});
    expect(state.seq).to.equal(3);
    expect(state.ids).to.have.length(6);
  });

  for (const point of CRASH_POINTS) {
    // during-recovery needs something to recover: the gap after the Kafka commit first.
    const crashes: CrashHook[] =
      point === 'during-recovery'
        ? [crashAt('after-kafka-commit', 2), crashAt('during-recovery')]
        : [crashAt(point, 3)];
    it(`after a crash ${point}, a fresh replicator yields each message exactly once, in order`, async () => {
      const w = world();
      w.put(0, 50);
      for (const crash of crashes) expect((await w.runToEnd(crash)).crashed, 'crashed').to.equal(true);
      const { r } = await w.runToEnd();
      expect(w.bodies(TOPIC)).to.deep.equal(range(50));
      expect(w.broker.depth(QUEUE)).to.equal(0);
      if (point === 'after-kafka-commit' || point === 'during-recovery')
        expect(r.stats.recoveryDiscards, 'recovery discards').to.equal(7);
    });
  }

  it('survives 60 crashes at random points and moments: every message once, in order', async () => {
    const w = world({ defaultBackoutThreshold: 1000 });
    w.put(0, 1000);
    let seed = 11;
    const random = (n: number) => Math.floor((((seed = (seed * 16807) % 2147483647) - 1) / 2147483646) * n);
    let discards = 0;
    let previous: CrashPoint | undefined;
    const hit = new Set<CrashPoint>();
    for (let crashes = 0; crashes < 60;) {
      // during-recovery fires only when there is something to recover.
      const points = CRASH_POINTS.filter((p) => p !== 'during-recovery' || previous === 'after-kafka-commit');
      const point = points[random(points.length)]!;
      const { r, crashed } = await w.runToEnd(crashAt(point, 1 + random(3)));
      discards += r.stats.recoveryDiscards;
      expect(crashed, `crashed at ${point}`).to.equal(true);
      crashes++;
      hit.add(point);
      previous = point;
    }
    const { r } = await w.runToEnd();
    discards += r.stats.recoveryDiscards;
    expect(w.bodies(TOPIC)).to.deep.equal(range(1000));
    expect([...hit].sort(), 'crash points hit').to.deep.equal([...CRASH_POINTS].sort());
    expect(discards, 'recovery discards').to.be.greaterThan(0);
  });

  it('sends a message at the backout threshold to the dead-letter topic once, and moves on', async () => {
    const w = world({ batchSize: 3 });
    w.put(0, 2);
    w.broker.putMessage(QUEUE, { body: Buffer.from('2'), backoutCount: 5 });
    w.put(3, 6);
    await w.runToEnd(crashAt('after-kafka-commit'));
    const { r } = await w.runToEnd();
    expect(w.bodies(TOPIC)).to.deep.equal([0, 1, 3, 4, 5]);
    const letters = w.kafka.topic(DLQ);
    expect(letters.map((l) => String(l.value))).to.deep.equal(['2']);
    expect(letters[0]?.headers).to.include({
      'stockline.dlq.reason': 'backout-threshold',
      'mq.backoutCount': '5',
    });
    expect(r.stats.recoveryDiscards).to.equal(3);
  });

  it("takes the queue's own backout threshold over the configured one", async () => {
    const w = world({ defaultBackoutThreshold: 2 });
    w.broker.setBackoutThreshold(QUEUE, 4);
    w.broker.putMessage(QUEUE, { body: Buffer.from('0'), backoutCount: 3 });
    w.broker.putMessage(QUEUE, { body: Buffer.from('1'), backoutCount: 4 });
    await w.runToEnd();
    expect(w.bodies(TOPIC)).to.deep.equal([0]);
    expect(w.bodies(DLQ)).to.deep.equal([1]);
  });

  it('sends a message too large for Kafka to the dead-letter topic, without its body', async () => {
    const w = world({ maxRecordBytes: 2000 });
    w.put(0, 1);
    w.broker.putMessage(QUEUE, { body: Buffer.alloc(3000, 1) });
    w.put(2, 3);
    const { r } = await w.runToEnd();
    expect(w.bodies(TOPIC)).to.deep.equal([0, 2]);
    const [letter] = w.kafka.topic(DLQ);
    expect(letter?.value).to.equal(null);
    expect(letter?.headers['stockline.dlq.reason']).to.equal('too-large');
    expect(r.stats.deadLetters).to.equal(1);
  });

  for (const committed of [true, false])
    it(`recovers from an uncertain queue commit that ${committed ? 'went' : 'did not go'} through`, async () => {
      const w = world();
      let failures = 1;
      w.wrap((s) =>
        replicatorSession(s, {
          async commit() {
            if (failures-- === 1) {
              if (committed) await s.commit();
              throw new QueueTransportError(
                'MQCMIT: connection broken',
                { transport: 'memory', queueManager: 'QM1' },
                { retriable: true },
              );
            }
            return s.commit();
          },
        }),
      );
      w.put(0, 20);
      const { r } = await w.runToEnd();
      expect(w.bodies(TOPIC)).to.deep.equal(range(20));
      expect(r.stats.recoveries).to.equal(2);
      expect(r.stats.recoveryDiscards).to.equal(committed ? 0 : 7);
    });

  it('on a transport that does not confirm commits, discards a batch that comes back after later ones', async () => {
    const w = world();
    let commits = 0;
    // RabbitMQ: the broker read the first commit (an ack) but had not applied it when the process died.
    w.wrap((s) =>
      replicatorSession(s, {
        atomicCommit: false,
        commit: () => (++commits === 1 ? Promise.resolve() : s.commit()),
      }),
    );
    w.put(0, 30);
    expect((await w.runToEnd(crashAt('after-kafka-commit', 2))).crashed).to.equal(true);
    w.wrap((s) => s);
    const { r } = await w.runToEnd();
    expect(w.bodies(TOPIC)).to.deep.equal(range(30));
    expect(r.stats.recoveryDiscards).to.equal(14);
  });

  for (const failure of ['fails', 'commits-then-fails'] as const)
    it(`recovers when the Kafka commit ${failure}`, async () => {
      const w = world();
      w.kafka.commitFailures.push(failure);
      w.put(0, 20);
      const { r } = await w.runToEnd();
      expect(w.bodies(TOPIC)).to.deep.equal(range(20));
      expect(r.stats.recoveryDiscards).to.equal(failure === 'fails' ? 0 : 7);
    });

  it('stops with ProducerFencedError when another instance took the queue over', async () => {
    const w = world();
    w.put(0, 10);
    const { r } = w.replicator();
    await r.start();
    await w.kafka.producer('stockline-mqrepl-QM1-WH.MOVES', SOURCE);
    const failure = await r.step().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).to.be.instanceOf(ProducerFencedError);
    await r.close();
    expect(w.kafka.committed).to.have.length(0);
    expect(w.broker.depth(QUEUE)).to.equal(10);
  });
});
