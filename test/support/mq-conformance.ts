/**
 * Conformance of the MQ port (src/mq/port.ts): one mocha suite that every queue transport runs
 * (memory and amqp in test/integration/mq-transport.test.ts, ibmmq on its fake). A case that
 * needs a capability the transport says it lacks is skipped with the reason, never passed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { QueueBusyError } from '../../src/mq/errors.js';
import type {
  OutgoingQueueMessage,
  QueueMessage,
  QueueSession,
  QueueTransport,
  TransportCapabilities,
} from '../../src/mq/port.js';

export interface QueueOptions {
  /** The queue's backout threshold; left out or null: none. */
  backoutThreshold?: number | null;
}

/** What one test of the suite gets from the adapter under test. */
export interface TransportFixture {
  /** A new connection, as a process of the replicator opens it; closed by `cleanup`. */
  connect(): Promise<QueueTransport>;
  /** A new queue no other test uses (deleted by `cleanup` where the transport can). */
  createQueue(options?: QueueOptions): Promise<string>;
  /**
   * Breaks a connection from outside, as when its process dies (no close, no backout sent).
   * Left out when the adapter has no way to: the cases that need it are skipped.
   */
  killConnection?: (transport: QueueTransport) => Promise<void>;
  /** How far a put time may lie from the test's clock (a remote queue manager's clock drifts). */
  clockToleranceMs: number;
  cleanup(): Promise<void>;
}

/** Skips a case the transport cannot do, with the reason in the report. */
function skipBecause(context: Mocha.Context, reason: string): never {
  if (context.test) context.test.title += ` (skipped: ${reason})`;
  context.skip();
}

const bodies = (...texts: string[]): OutgoingQueueMessage[] => texts.map((t) => ({ body: Buffer.from(t) }));
const texts = (messages: readonly QueueMessage[]): string[] => messages.map((m) => m.body.toString());
const numbered = (count: number, from = 0): string[] =>
  Array.from({ length: count }, (_, i) => `m${String(from + i).padStart(4, '0')}`);

async function put(
  transport: QueueTransport,
  queue: string,
  messages: OutgoingQueueMessage[],
): Promise<void> {
  const writer = await transport.writer({ queue });
  try {
    await writer.put(messages);
  } finally {
    await writer.close();
  }
}

/** Gets until `count` messages came or `timeoutMs` passed (a transport may hand a batch in parts). */
async function getAtLeast(session: QueueSession, count: number, timeoutMs = 5000): Promise<QueueMessage[]> {
  const got: QueueMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    got.push(...(await session.get(count - got.length, Math.min(500, Math.max(1, deadline - Date.now())))));
  }
  return got;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

export function transportConformance(
  name: string,
  makeFixture: () => Promise<TransportFixture>,
  options: { timeoutMs?: number } = {},
): void {
  describe(`MQ transport conformance: ${name}`, function () {
    this.timeout(options.timeoutMs ?? 30000);
    let fixture: TransportFixture;
    let transport: QueueTransport;
    let capabilities: TransportCapabilities;

    beforeEach(async () => {
      fixture = await makeFixture();
      transport = await fixture.connect();
      capabilities = transport.capabilities;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    function requires(context: Mocha.Context, capability: keyof TransportCapabilities): void {
      if (!capabilities[capability]) skipBecause(context, `${name} does not claim ${capability}`);
    }

    it('hands messages in queue order, within a unit of work and across commits', async () => {
      const queue = await fixture.createQueue();
      await put(transport, queue, bodies(...numbered(10)));
      const session = await transport.open({ queue });
      const first = await getAtLeast(session, 4);
      const second = await getAtLeast(session, 4);
      expect(texts([...first, ...second])).to.deep.equal(numbered(8));
      await session.commit();
      expect(texts(await getAtLeast(session, 2))).to.deep.equal(numbered(2, 8));
      await session.commit();
      expect(await session.get(10, 0)).to.deep.equal([]);
    });

    it('get waits at most waitMs on an empty queue, and returns as soon as a message arrives', async () => {
      const queue = await fixture.createQueue();
      const session = await transport.open({ queue });
      let started = Date.now();
      expect(await session.get(5, 400)).to.deep.equal([]);
      const emptyWait = Date.now() - started;
      expect(emptyWait, 'waited about waitMs').to.be.within(350, 2500);

      started = Date.now();
      const waiting = session.get(5, 10000);
      await sleep(300);
      await put(transport, queue, bodies('late'));
      const got = await waiting;
      const arrivedAfter = Date.now() - started;
      expect(texts(got)).to.deep.equal(['late']);
      expect(arrivedAfter, 'returned once the message came, long before waitMs').to.be.below(3000);
    });

    it('commit removes the messages from the queue (depth drops, no one gets them again)', async () => {
      const queue = await fixture.createQueue();
      await put(transport, queue, bodies('a', 'b', 'c'));
      const session = await transport.open({ queue });
      expect(texts(await getAtLeast(session, 3))).to.deep.equal(['a', 'b', 'c']);
      await session.commit();
      expect(await session.depth()).to.equal(0);
      await session.close();
      const again = await transport.open({ queue });
      expect(await again.get(10, 300)).to.deep.equal([]);
    });

    it('backout gives the messages back to the queue', async () => {
      const queue = await fixture.createQueue();
      await put(transport, queue, bodies(...numbered(5)));
      const session = await transport.open({ queue });
      expect(await getAtLeast(session, 3)).to.have.length(3);
      await session.backout();
      expect(await session.depth()).to.equal(5);
      const all = await getAtLeast(session, 5);
      expect([...texts(all)].sort()).to.deep.equal(numbered(5));
    });

    it('backout gives them back at the head, in their order, before later messages', async function () {
      requires(this, 'redeliveryKeepsOrder');
      const queue = await fixture.createQueue();
      await put(transport, queue, bodies(...numbered(6)));
      const session = await transport.open({ queue });
      expect(texts(await getAtLeast(session, 3))).to.deep.equal(numbered(3));
      await session.backout();
      await put(transport, queue, bodies('later'));
      expect(texts(await getAtLeast(session, 7))).to.deep.equal([...numbered(6), 'later']);
    });

    it('backout increments the backout count of exactly the messages backed out', async function () {
      requires(this, 'exactBackoutCount');
      const queue = await fixture.createQueue();
      await put(transport, queue, bodies(...numbered(4)));
      const session = await transport.open({ queue });
      const first = await getAtLeast(session, 2);
      expect(first.map((m) => m.backoutCount)).to.deep.equal([0, 0]);
      await session.backout();
      const second = await getAtLeast(session, 2);
      await session.backout();
      const third = await getAtLeast(session, 4);
      const counts = new Map(third.map((m) => [m.body.toString(), m.backoutCount]));
      expect(
        second.every((m) => m.backoutCount === 1),
        'once backed out',
      ).to.equal(true);
      expect(counts.get('m0000')).to.equal(2);
      expect(counts.get('m0001')).to.equal(2);
      expect(counts.get('m0002'), 'never got before').to.equal(0);
      expect(counts.get('m0003'), 'never got before').to.equal(0);
    });

    it('a killed connection (unit of work never committed) gives its messages back', async function () {
      if (fixture.killConnection === undefined)
        skipBecause(this, `the ${name} fixture cannot kill a connection`);
      const queue = await fixture.createQueue();
      await put(transport, queue, bodies(...numbered(3)));
      const doomed = await fixture.connect();
      const session = await doomed.open({ queue });
      expect(await getAtLeast(session, 3)).to.have.length(3);
      await fixture.killConnection(doomed);
      // The broker notices the dead connection; until then the queue may still be held.
      const deadline = Date.now() + 10000;
      let next: QueueSession | undefined;
      while (next === undefined) {
        try {
          next = await transport.open({ queue });
        } catch (error) {
          if (!(error instanceof QueueBusyError) || Date.now() > deadline) throw error;
          await sleep(200);
        }
      }
      const back = await getAtLeast(next, 3);
      expect([...texts(back)].sort()).to.deep.equal(numbered(3));
      if (capabilities.redeliveryKeepsOrder) expect(texts(back)).to.deep.equal(numbered(3));
      if (capabilities.exactBackoutCount) expect(back.map((m) => m.backoutCount)).to.deep.equal([1, 1, 1]);
      const failed = await rejection(session.get(1, 0));
      expect(failed, 'the dead session refuses work').to.be.instanceOf(Error);
    });

    it('a commit, once returned, survives the connection being killed at once', async function () {
      requires(this, 'atomicCommit');
      if (fixture.killConnection === undefined)
        skipBecause(this, `the ${name} fixture cannot kill a connection`);
      const queue = await fixture.createQueue();
      await put(transport, queue, bodies(...numbered(20)));
      const doomed = await fixture.connect();
      const session = await doomed.open({ queue });
      expect(await getAtLeast(session, 20)).to.have.length(20);
      await session.commit();
      await fixture.killConnection(doomed);
      await sleep(500);
      const next = await transport.open({ queue });
      expect(await next.get(20, 500)).to.deep.equal([]);
    });

    it('exclusive input: a second open gets QueueBusyError, and takes over once the first closes', async function () {
      requires(this, 'exclusiveInput');
      const queue = await fixture.createQueue();
      await put(transport, queue, bodies('x', 'y'));
      const first = await transport.open({ queue });
      expect(texts(await getAtLeast(first, 1))).to.deep.equal(['x']);
      const other = await fixture.connect();
      const busy = await rejection(other.open({ queue }));
      expect(busy).to.be.instanceOf(QueueBusyError);
      expect((busy as QueueBusyError).retriable).to.equal(true);
      expect((busy as QueueBusyError).context.queue).to.equal(queue);
      const sameConnection = await rejection(transport.open({ queue }));
      expect(sameConnection, 'also from the same connection').to.be.instanceOf(QueueBusyError);
      await first.close();
      const second = await other.open({ queue });
      expect(texts(await getAtLeast(second, 2)), 'the first closed with its get backed out').to.deep.equal([
        'x',
        'y',
      ]);
    });

    // Priority and CCSID are compared where the transport has them (the port allows null).
    it('the descriptor survives: ids, put time, persistence, priority, format, CCSID, put application, user', async () => {
      const queue = await fixture.createQueue();
      const messageId = Buffer.from('414d51205154455354202020202020200102030405060708', 'hex');
      const correlationId = Buffer.from('00ff10203040506070809a0b0c0d0e0f1011121314151617', 'hex');
      const before = Date.now();
      await put(transport, queue, [
        {
          body: Buffer.from('described'),
          messageId,
          correlationId,
          persistent: true,
          priority: 7,
          ccsid: 500,
          format: 'MQSTR',
          putApplicationName: 'CICSPROD',
          userId: 'WHUSER',
        },
        { body: Buffer.from('plain'), persistent: false },
      ]);
      const after = Date.now();
      const session = await transport.open({ queue });
      const [described, plain] = await getAtLeast(session, 2);
      expect(described!.messageId.equals(messageId), 'message id').to.equal(true);
      expect(described!.correlationId.equals(correlationId), 'correlation id').to.equal(true);
      // IBM MQ keeps put times to the hundredth: allow that much below the put.
      const tolerance = fixture.clockToleranceMs;
      expect(described!.putTime.getTime(), 'put time').to.be.within(
        before - 10 - tolerance,
        after + tolerance,
      );
      expect(described).to.include({
        persistent: true,
        format: 'MQSTR',
        putApplicationName: 'CICSPROD',
        userId: 'WHUSER',
        backoutCount: 0,
      });
      if (described!.priority !== null) expect(described!.priority, 'priority').to.equal(7);
      if (described!.ccsid !== null) expect(described!.ccsid, 'ccsid').to.equal(500);
      expect(plain!.persistent, 'a non-persistent put').to.equal(false);
      expect(plain!.messageId.length, 'a message id was given to a put without one').to.be.above(0);
      expect(plain!.messageId.equals(described!.messageId)).to.equal(false);
      expect(plain!.correlationId.length === 0 || plain!.correlationId.every((b) => b === 0)).to.equal(true);
    });

    it('bodies come back byte for byte: all 256 byte values, an empty body, 1 MiB', async () => {
      const queue = await fixture.createQueue();
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const large = Buffer.alloc(1024 * 1024, every);
      await put(transport, queue, [{ body: every }, { body: Buffer.alloc(0) }, { body: large }]);
      const session = await transport.open({ queue });
      const [a, b, c] = await getAtLeast(session, 3);
      expect(a!.body.equals(every), 'all byte values').to.equal(true);
      expect(b!.body.length, 'empty').to.equal(0);
      expect(c!.body.equals(large), '1 MiB').to.equal(true);
    });

    it('depth counts every message on the queue, those of an open unit of work included', async () => {
      const queue = await fixture.createQueue();
      const session = await transport.open({ queue });
      expect(await session.depth()).to.equal(0);
      await put(transport, queue, bodies(...numbered(5)));
      expect(await session.depth()).to.equal(5);
      expect(await getAtLeast(session, 2)).to.have.length(2);
      expect(await session.depth(), 'two in the unit of work still count').to.equal(5);
      await session.commit();
      expect(await session.depth()).to.equal(3);
    });

    it("backoutThreshold reports the queue's threshold, or null when it has none", async () => {
      const withThreshold = await fixture.createQueue({ backoutThreshold: 3 });
      const without = await fixture.createQueue({ backoutThreshold: null });
      const a = await transport.open({ queue: withThreshold });
      const b = await transport.open({ queue: without });
      expect(await a.backoutThreshold()).to.equal(3);
      expect(await b.backoutThreshold()).to.equal(null);
    });
  });
}
