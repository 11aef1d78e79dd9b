/**
 * An in-process queue transport: the fake the replicator's unit tests run on. It has every
 * capability of the port (atomic commit, exact backout counts, exclusive input, redelivery in
 * order), and its broker lets a test put messages with any descriptor (a high backout count, a
 * chosen put time) and kill a connection the way a crashed process loses it.
 *
 * A `MemoryQueueBroker` plays the queue manager; each `connect()` is one connection (one process
 * of the replicator), so a test can crash one and start another on the same queues.
 */
import { randomBytes } from 'node:crypto';
import { QueueBusyError, QueueTransportError } from './errors.js';
import type {
  OutgoingQueueMessage,
  QueueMessage,
  QueueSession,
  QueueSpec,
  QueueTransport,
  QueueWriter,
  TransportCapabilities,
} from './port.js';

const TRANSPORT = 'memory';

/** Every field of the descriptor a test may choose; the body is required. */
export type MemoryMessageFields = Partial<Omit<QueueMessage, 'body'>> & { body: Buffer };

interface MemoryQueue {
  /** Messages available to a get, in queue order. */
  ready: QueueMessage[];
  /** Messages in a session's open unit of work: still on the queue (depth counts them). */
  inFlight: number;
  holder: MemorySession | null;
  backoutThreshold: number | null;
  /** Gets waiting for a message; each is called once on a put, a backout or a kill. */
  waiters: Set<() => void>;
}

function copyMessage(message: QueueMessage): QueueMessage {
  return {
    ...message,
    messageId: Buffer.from(message.messageId),
    correlationId: Buffer.from(message.correlationId),
    groupId: message.groupId === null ? null : Buffer.from(message.groupId),
    putTime: new Date(message.putTime.getTime()),
    body: Buffer.from(message.body),
  };
}

export class MemoryQueueBroker {
  readonly #queues = new Map<string, MemoryQueue>();

  constructor(readonly queueManager = 'MEMORY') {}

  /** A new connection to this broker. */
  connect(identity: { userId?: string; applicationName?: string } = {}): MemoryQueueTransport {
    return new MemoryQueueTransport(
      this,
      identity.userId ?? 'stockline',
      identity.applicationName ?? 'stockline',
    );
  }

  /** Sets a queue's backout threshold (MQ BOTHRESH); null: none. Creates the queue if needed. */
  setBackoutThreshold(queue: string, threshold: number | null): void {
    this.queue(queue).backoutThreshold = threshold;
  }

  /**
   * Puts one message with the descriptor fields given and the defaults of a put for the rest:
   * the test hook for what a writer cannot set (a backout count, a put time, a group).
   */
  putMessage(queue: string, fields: MemoryMessageFields): QueueMessage {
    const message: QueueMessage = {
      messageId: randomBytes(24),
      correlationId: Buffer.alloc(0),
      groupId: null,
      sequenceInGroup: null,
      backoutCount: 0,
      putTime: new Date(),
      ccsid: 1208,
      encoding: 546,
      format: '',
      persistent: true,
      priority: 0,
      putApplicationName: 'stockline',
      userId: 'stockline',
      ...fields,
    };
    const target = this.queue(queue);
    target.ready.push(copyMessage(message));
    MemoryQueueBroker.wake(target);
    return copyMessage(message);
  }

  /** Messages on the queue, those of open units of work included. */
  depth(queue: string): number {
    const target = this.#queues.get(queue);
    return target === undefined ? 0 : target.ready.length + target.inFlight;
  }

  /** @internal The queue, created on first use (the memory broker defines queues on demand). */
  queue(name: string): MemoryQueue {
    let found = this.#queues.get(name);
    if (found === undefined) {
      found = { ready: [], inFlight: 0, holder: null, backoutThreshold: null, waiters: new Set() };
      this.#queues.set(name, found);
    }
    return found;
  }

  /** @internal */
  static wake(queue: MemoryQueue): void {
    for (const waiter of [...queue.waiters]) waiter();
  }
}

/** Runs `run` now; what it throws becomes a rejection, as a real transport's failures are. */
function settle<T>(run: () => T): Promise<T> {
  return new Promise((resolve) => resolve(run()));
}

type ConnectionState = 'open' | 'closed' | 'broken';

export class MemoryQueueTransport implements QueueTransport {
  readonly name = TRANSPORT;
  readonly capabilities: TransportCapabilities = {
    atomicCommit: true,
    exactBackoutCount: true,
    exclusiveInput: true,
    redeliveryKeepsOrder: true,
  };
  readonly #sessions = new Set<MemorySession>();
  #state: ConnectionState = 'open';

  constructor(
    readonly broker: MemoryQueueBroker,
    readonly userId: string,
    readonly applicationName: string,
  ) {}

  open(spec: QueueSpec): Promise<QueueSession> {
    return settle(() => this.openNow(spec));
  }

  private openNow(spec: QueueSpec): QueueSession {
    this.ensureOpen('MQOPEN', spec.queue);
    const queue = this.broker.queue(spec.queue);
    if (queue.holder !== null) {
      throw new QueueBusyError(`queue ${spec.queue} is held for exclusive input by another session`, {
        transport: TRANSPORT,
        queueManager: this.broker.queueManager,
        queue: spec.queue,
        call: 'MQOPEN',
        reasonCode: 2042,
      });
    }
    const session = new MemorySession(this, spec.queue, queue);
    queue.holder = session;
    this.#sessions.add(session);
    return session;
  }

  writer(spec: QueueSpec): Promise<QueueWriter> {
    return settle(() => this.writerNow(spec));
  }

  private writerNow(spec: QueueSpec): QueueWriter {
    this.ensureOpen('MQOPEN', spec.queue);
    let closed = false;
    const putNow = (messages: readonly OutgoingQueueMessage[]) => {
      if (closed) throw this.failure('MQPUT', spec.queue, 'writer closed', false);
      this.ensureOpen('MQPUT', spec.queue);
      for (const m of messages) {
        this.broker.putMessage(spec.queue, {
          body: m.body,
          ...(m.messageId !== undefined && { messageId: m.messageId }),
          ...(m.correlationId !== undefined && { correlationId: m.correlationId }),
          ...(m.persistent !== undefined && { persistent: m.persistent }),
          ...(m.priority !== undefined && { priority: m.priority }),
          ...(m.ccsid !== undefined && { ccsid: m.ccsid }),
          ...(m.format !== undefined && { format: m.format }),
          putApplicationName: m.putApplicationName ?? this.applicationName,
          userId: m.userId ?? this.userId,
        });
      }
    };
    return {
      put: (messages) => settle(() => putNow(messages)),
      close: () =>
        settle(() => {
          closed = true;
        }),
    };
  }

  close(): Promise<void> {
    this.end('closed');
    return Promise.resolve();
  }

  /**
   * The connection breaks as when its process dies: every open unit of work goes back to its
   * queue, exclusive holds are released, and every later call fails with a retriable error.
   */
  kill(): void {
    this.end('broken');
  }

  /** @internal */
  ensureOpen(call: string, queue: string): void {
    if (this.#state === 'broken') throw this.failure(call, queue, 'connection broken', true);
    if (this.#state === 'closed') throw this.failure(call, queue, 'connection closed', false);
  }

  /** @internal */
  failure(call: string, queue: string, reason: string, retriable: boolean): QueueTransportError {
    return new QueueTransportError(
      `${call} on ${queue} failed: ${reason}`,
      { transport: TRANSPORT, queueManager: this.broker.queueManager, queue, call },
      { retriable },
    );
  }

  /** @internal */
  forget(session: MemorySession): void {
    this.#sessions.delete(session);
  }

  private end(state: ConnectionState): void {
    if (this.#state !== 'open') return;
    this.#state = state;
    for (const session of [...this.#sessions]) session.release();
  }
}

class MemorySession implements QueueSession {
  readonly queueManager: string;
  /** The unit of work: messages got since the last commit or backout, in queue order. */
  #unitOfWork: QueueMessage[] = [];
  #closed = false;

  constructor(
    readonly transport: MemoryQueueTransport,
    readonly queue: string,
    readonly state: MemoryQueue,
  ) {
    this.queueManager = transport.broker.queueManager;
  }

  async get(max: number, waitMs: number): Promise<QueueMessage[]> {
    this.ensureUsable('MQGET');
    const deadline = Date.now() + waitMs;
    // A wake-up is only a hint (another session's close wakes every waiter): look again.
    while (this.state.ready.length === 0 && Date.now() < deadline) {
      await this.waitForMessage(deadline - Date.now());
      this.ensureUsable('MQGET');
    }
    const taken = this.state.ready.splice(0, Math.max(0, max));
    this.#unitOfWork.push(...taken);
    this.state.inFlight += taken.length;
    return taken.map(copyMessage);
  }

  commit(): Promise<void> {
    return settle(() => {
      this.ensureUsable('MQCMIT');
      this.state.inFlight -= this.#unitOfWork.length;
      this.#unitOfWork = [];
    });
  }

  backout(): Promise<void> {
    return settle(() => {
      this.ensureUsable('MQBACK');
      this.giveBack();
    });
  }

  depth(): Promise<number> {
    return settle(() => {
      this.ensureUsable('MQINQ');
      return this.state.ready.length + this.state.inFlight;
    });
  }

  backoutThreshold(): Promise<number | null> {
    return settle(() => {
      this.ensureUsable('MQINQ');
      return this.state.backoutThreshold;
    });
  }

  close(): Promise<void> {
    return settle(() => this.release());
  }

  /** @internal Backs out and lets the queue go: a close, or the connection's end. */
  release(): void {
    if (this.#closed) return;
    this.giveBack();
    this.#closed = true;
    if (this.state.holder === this) this.state.holder = null;
    this.transport.forget(this);
    // A get waiting on this session wakes up and sees it closed.
    MemoryQueueBroker.wake(this.state);
  }

  private giveBack(): void {
    if (this.#unitOfWork.length === 0) return;
    for (const m of this.#unitOfWork) m.backoutCount += 1;
    // Back at the head, in their order, before any message put since.
    this.state.ready.unshift(...this.#unitOfWork);
    this.state.inFlight -= this.#unitOfWork.length;
    this.#unitOfWork = [];
    MemoryQueueBroker.wake(this.state);
  }

  private ensureUsable(call: string): void {
    this.transport.ensureOpen(call, this.queue);
    if (this.#closed) throw this.transport.failure(call, this.queue, 'session closed', false);
  }

  private waitForMessage(waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.state.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.state.waiters.add(done);
    });
  }
}
