// The replicator's core on the machine's RabbitMQ (the queue side for real, Kafka faked): crashes
// at each point, the connection dropped as a killed process drops it, a fresh replicator each
// time; every message once, in queue order. Needs RabbitMQ only, not the Kafka stack.
import { connect } from 'amqplib';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import { backoutQueueName, type AmqpQueueTransport } from '../../src/mq/amqp-transport.js';
import { createLogger } from '../../src/observability/logger.js';
import { CRASH_POINTS, type CrashHook, type CrashPoint } from '../../src/replicator/crash.js';
import { QueueReplicator, replicatorSession } from '../../src/replicator/queue-replicator.js';
import { connectTransport } from '../../src/replicator/transports.js';
import { uniqueSuffix } from '../support/config.js';
import { FakeKafka } from '../support/fake-transactional-producer.js';

const log = createLogger({ level: 'silent' });
const MESSAGES = 600;
const THRESHOLD = 20;

class SimulatedCrash extends Error {}
const crashAt =
  (point: CrashPoint, nth: number): CrashHook =>
  (at) => {
    if (at === point && --nth === 0) throw new SimulatedCrash(point);
  };

describe('MQ replicator core on RabbitMQ (fake Kafka; integration)', function () {
  this.timeout(120_000);
  const queue = `test.mqrepl.core.${uniqueSuffix()}`;
  let mq: StocklineConfig['mq'];

  before(() => {
    mq = {
      ...structuredClone(loadConfig().mq),
      transport: 'amqp',
      queueManager: 'QM.AMQP.TEST',
      backoutThreshold: THRESHOLD,
    };
  });

  after(async () => {
    const model = await connect(
      mq.amqpUrl.replace('://', `://${mq.user || 'guest'}:${mq.password || 'guest'}@`),
    );
    const channel = await model.createChannel();
    for (const q of [queue, backoutQueueName(queue)]) await channel.deleteQueue(q).catch(() => undefined);
    await model.close();
  });

  it('yields each message exactly once, in order, through a crash at every point, and dead-letters a poison message once', async () => {
    const kafka = new FakeKafka();
    const writing = await connectTransport(mq, log);
    const writer = await writing.writer({ queue });
    await writer.put([{ body: Buffer.from('poison') }]);
    // Backed out THRESHOLD - 1 times, then got once more and given back by the close: its backout
    // count is the threshold. (A backout followed by a close counts twice on RabbitMQ: the
    // delivery the consumer prefetched after the backout comes back too.)
    const poisoning = await writing.open({ queue });
    for (let i = 0; i < THRESHOLD - 1; i++) {
      expect((await poisoning.get(1, 5000)).map((m) => m.body.toString())).to.deep.equal(['poison']);
      await poisoning.backout();
    }
    expect((await poisoning.get(1, 5000)).map((m) => m.backoutCount)).to.deep.equal([THRESHOLD - 1]);
    await poisoning.close();
    await writer.put(
      Array.from({ length: MESSAGES }, (_, i) => ({ body: Buffer.from(String(i)), persistent: true })),
    );
    await writer.close();
    await writing.close();

    const runOnce = async (crash?: CrashHook): Promise<QueueReplicator> => {
      const connections: AmqpQueueTransport[] = [];
      const r = new QueueReplicator(
        {
          queueManager: mq.queueManager,
          queue,
          topic: 'raw',
          key: 'none',
          batchSize: 25,
          deadLetterTopic: 'dlq',
          defaultBackoutThreshold: THRESHOLD,
          firstWaitMs: 200,
          retryDelayMs: 50,
        },
        {
          async openSession() {
            const transport = (await connectTransport(mq, log)) as AmqpQueueTransport;
            connections.push(transport);
            const session = await transport.open({ queue });
            return replicatorSession(session, { atomicCommit: transport.capabilities.atomicCommit });
          },
          openProducer: () => kafka.producer('tid', `${mq.queueManager}/${queue}`),
        },
        log,
        crash ? { crash } : {},
      );
      try {
        await r.start();
        while ((await r.step()) > 0);
        await r.close();
      } catch (e) {
        if (!(e instanceof SimulatedCrash)) throw e;
        // The process dies: its TCP connections drop without a word (and are never closed).
        for (const c of connections) c.abortConnection();
        return r;
      }
      for (const c of connections) await c.close().catch(() => undefined);
      return r;
    };

    let discards = 0;
    for (const point of CRASH_POINTS.filter((p) => p !== 'during-recovery'))
      discards += (await runOnce(crashAt(point, 2))).stats.recoveryDiscards;
    discards += (await runOnce(crashAt('after-kafka-commit', 1))).stats.recoveryDiscards;
    discards += (await runOnce(crashAt('during-recovery', 1))).stats.recoveryDiscards;
    const last = await runOnce();
    discards += last.stats.recoveryDiscards;

    const values = (topic: string) => kafka.topic(topic).map((r) => String(r.value));
    expect(values('raw')).to.deep.equal(Array.from({ length: MESSAGES }, (_, i) => String(i)));
    expect(values('dlq')).to.deep.equal(['poison']);
    expect(discards, 'recovery discards').to.be.greaterThan(0);
  });
});
