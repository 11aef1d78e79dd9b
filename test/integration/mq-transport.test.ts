import { connect, type ConfirmChannel } from 'amqplib';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import {
  backoutQueueName,
  createAmqpTransport,
  type AmqpQueueTransport,
} from '../../src/mq/amqp-transport.js';
import { QueueTransportError } from '../../src/mq/errors.js';
import { createQueueTransport } from '../../src/mq/transports.js';
import { MemoryQueueBroker, type MemoryQueueTransport } from '../../src/mq/memory-transport.js';
import type { QueueTransport } from '../../src/mq/port.js';
import { uniqueSuffix } from '../support/config.js';
import { transportConformance, type TransportFixture } from '../support/mq-conformance.js';

/**
 * The MQ port's conformance suite (test/support/mq-conformance.ts) on each transport that runs
 * here: memory (in process) and amqp (the machine's RabbitMQ). ibmmq runs it on its fake.
 */

transportConformance('memory', () => {
  const broker = new MemoryQueueBroker('QM.MEMORY');
  const transports: QueueTransport[] = [];
  const fixture: TransportFixture = {
    connect: () => {
      const transport = broker.connect();
      transports.push(transport);
      return Promise.resolve(transport);
    },
    createQueue: (options = {}) => {
      const queue = `test.mq.${uniqueSuffix()}`;
      broker.setBackoutThreshold(queue, options.backoutThreshold ?? null);
      return Promise.resolve(queue);
    },
    killConnection: (transport) => {
      (transport as MemoryQueueTransport).kill();
      return Promise.resolve();
    },
    clockToleranceMs: 0,
    cleanup: async () => {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
  return Promise.resolve(fixture);
});

/** The suite's mq section, reading the machine's RabbitMQ (STOCKLINE__MQ__AMQPURL etc. override it). */
function amqpSection(): StocklineConfig['mq'] {
  return { ...structuredClone(loadConfig().mq), transport: 'amqp', queueManager: 'QM.AMQP.TEST' };
}

transportConformance('amqp', () => {
  const mq = amqpSection();
  const thresholds = new Map<string, number | null>();
  const backoutThreshold = (queue: string) => thresholds.get(queue) ?? null;
  const transports: AmqpQueueTransport[] = [];
  const queues: string[] = [];
  const fixture: TransportFixture = {
    connect: async () => {
      const transport = await createAmqpTransport(mq, { backoutThreshold });
      transports.push(transport);
      return transport;
    },
    createQueue: (options = {}) => {
      const queue = `test.mq.${uniqueSuffix()}`;
      thresholds.set(queue, options.backoutThreshold ?? null);
      queues.push(queue);
      return Promise.resolve(queue);
    },
    killConnection: (transport) => {
      (transport as AmqpQueueTransport).abortConnection();
      return Promise.resolve();
    },
    // The writer stamps the put time from this machine's clock.
    clockToleranceMs: 0,
    cleanup: async () => {
      // A failed close must not leave the test's queues behind.
      await Promise.allSettled(transports.map((t) => t.close()));
      await deleteQueues(
        mq,
        queues.flatMap((q) => [q, backoutQueueName(q)]),
      );
    },
  };
  return Promise.resolve(fixture);
});

/** A plain amqplib connection for what the port does not do (declare otherwise, delete). */
async function rawChannel(
  mq: StocklineConfig['mq'],
): Promise<{ channel: ConfirmChannel; close: () => Promise<void> }> {
  const url = new URL(mq.amqpUrl);
  url.username = mq.user || 'guest';
  url.password = mq.password || 'guest';
  const model = await connect(url.toString());
  const channel = await model.createConfirmChannel();
  return { channel, close: () => model.close() };
}

async function deleteQueues(mq: StocklineConfig['mq'], queues: string[]): Promise<void> {
  const { channel, close } = await rawChannel(mq);
  for (const queue of queues) await channel.deleteQueue(queue);
  await close();
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('AMQP transport on RabbitMQ: what is not in the port (src/mq/amqp-transport.ts)', function () {
  this.timeout(30000);
  const mq = amqpSection();
  let queues: string[] = [];
  let transports: QueueTransport[] = [];
  const queueName = () => {
    const queue = `test.mq.amqp.${uniqueSuffix()}`;
    queues.push(queue);
    return queue;
  };
  afterEach(async () => {
    await Promise.allSettled(transports.map((t) => t.close()));
    await deleteQueues(mq, [...queues, ...queues.map(backoutQueueName)]);
    queues = [];
    transports = [];
  });
  async function transport(threshold: number | null): Promise<QueueTransport> {
    const created = await createAmqpTransport(mq, { backoutThreshold: () => threshold });
    transports.push(created);
    return created;
  }

  it('a message backed out past the threshold reaches it in backoutCount, then the broker moves it to <queue>.backout', async () => {
    const queue = queueName();
    const amqp = await transport(2);
    const writer = await amqp.writer({ queue });
    await writer.put([{ body: Buffer.from('poison'), messageId: Buffer.from('c0ffee', 'hex') }]);
    const session = await amqp.open({ queue });
    expect(await session.backoutThreshold()).to.equal(2);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [message] = await session.get(1, 2000);
      counts.push(message!.backoutCount);
      await session.backout();
    }
    expect(counts, 'the reader sees the count reach the threshold').to.deep.equal([0, 1, 2]);
    expect(await session.get(1, 500), 'gone from the queue').to.deep.equal([]);
    const { channel, close } = await rawChannel(mq);
    const moved = await channel.get(backoutQueueName(queue), { noAck: true });
    await close();
    expect(moved && moved.content.toString()).to.equal('poison');
    expect(moved && moved.properties.messageId).to.equal('c0ffee');
  });

  it('a queue that exists with other arguments is refused with a non-retriable error naming them', async () => {
    const queue = queueName();
    const { channel, close } = await rawChannel(mq);
    await channel.assertQueue(queue, { durable: true });
    await close();
    const error = await rejection((await transport(null)).open({ queue }));
    expect(error).to.be.instanceOf(QueueTransportError);
    expect((error as QueueTransportError).retriable).to.equal(false);
    expect((error as QueueTransportError).message)
      .to.contain(queue)
      .and.to.contain('x-queue-type');
  });

  it('a refused connection is retriable, a refused login is not', async () => {
    const refused = await rejection(createAmqpTransport({ ...mq, amqpUrl: 'amqp://127.0.0.1:1' }));
    expect(refused).to.be.instanceOf(QueueTransportError);
    expect((refused as QueueTransportError).retriable, 'nothing listens on the port').to.equal(true);
    const login = await rejection(
      createAmqpTransport({ ...mq, user: 'guest', password: 'not-the-password' }),
    );
    expect(login).to.be.instanceOf(QueueTransportError);
    expect((login as QueueTransportError).retriable, 'wrong password').to.equal(false);
  });

  it('reads a message from another publisher: a text message id as its bytes, put time from the timestamp, no MQ fields', async () => {
    const queue = queueName();
    const amqp = await transport(null);
    const session = await amqp.open({ queue });
    const { channel, close } = await rawChannel(mq);
    channel.sendToQueue(queue, Buffer.from('foreign'), { messageId: 'order-42', timestamp: 1700000000 });
    await channel.waitForConfirms();
    await close();
    const [message] = await session.get(1, 2000);
    expect(message!.messageId.toString()).to.equal('order-42');
    expect(message!.putTime.toISOString()).to.equal(new Date(1700000000 * 1000).toISOString());
    expect(message).to.include({
      ccsid: null,
      encoding: null,
      format: '',
      persistent: false,
      backoutCount: 0,
    });
  });

  it('createQueueTransport picks the AMQP transport for mq.transport amqp', async () => {
    const picked = await createQueueTransport(mq);
    transports.push(picked);
    expect(picked.name).to.equal('amqp');
    expect(picked.capabilities.atomicCommit, 'RabbitMQ does not confirm an ack').to.equal(false);
  });
});
