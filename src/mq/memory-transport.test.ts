import { expect } from 'chai';
import { QueueTransportError } from './errors.js';
import { MemoryQueueBroker } from './memory-transport.js';

describe('memory queue transport: the test hooks (src/mq/memory-transport.ts)', () => {
  it('putMessage sets any descriptor field, a high backout count included, and keeps the defaults for the rest', async () => {
    const broker = new MemoryQueueBroker('QM.TEST');
    const putTime = new Date('2026-01-02T03:04:05.060Z');
    broker.putMessage('Q', {
      body: Buffer.from('x'),
      backoutCount: 99,
      putTime,
      groupId: Buffer.from([1]),
      sequenceInGroup: 3,
    });
    const session = await broker.connect().open({ queue: 'Q' });
    const [message] = await session.get(10, 0);
    expect(message).to.include({ backoutCount: 99, sequenceInGroup: 3, persistent: true, ccsid: 1208 });
    expect(message!.putTime.toISOString()).to.equal(putTime.toISOString());
    expect(message!.groupId).to.deep.equal(Buffer.from([1]));
    expect(message!.messageId.length, 'a generated message id has MQ length').to.equal(24);
    expect(session.queueManager).to.equal('QM.TEST');
  });

  it('kill() fails a waiting get with a retriable QueueTransportError and gives its unit of work back', async () => {
    const broker = new MemoryQueueBroker();
    broker.putMessage('Q', { body: Buffer.from('a') });
    const transport = broker.connect();
    const session = await transport.open({ queue: 'Q' });
    expect(await session.get(10, 0)).to.have.length(1);
    const waiting = session.get(10, 5000).then(
      () => null,
      (error: unknown) => error,
    );
    transport.kill();
    const error = await waiting;
    expect(error).to.be.instanceOf(QueueTransportError);
    expect((error as QueueTransportError).retriable).to.equal(true);
    const next = await broker.connect().open({ queue: 'Q' });
    const [again] = await next.get(10, 0);
    expect(again!.backoutCount).to.equal(1);
    expect(broker.depth('Q')).to.equal(1);
  });

  it('a closed transport refuses calls with a non-retriable error', async () => {
    const transport = new MemoryQueueBroker().connect();
    await transport.close();
    let error: unknown;
    try {
      await transport.open({ queue: 'Q' });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(QueueTransportError);
    expect((error as QueueTransportError).retriable).to.equal(false);
  });
});
