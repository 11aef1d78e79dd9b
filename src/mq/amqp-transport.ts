/**
 * The AMQP 0-9-1 transport (amqplib): RabbitMQ standing in for IBM MQ here, in the tests, the
 * demo and CI. What RabbitMQ 3.10 does was tried, not assumed (test/integration/mq-transport.test.ts):
 *
 * - Queues are quorum queues with a single active consumer, declared by whoever opens them first
 *   (reader or writer) with the same arguments; a queue declared otherwise is refused (406).
 * - Exclusive input: quorum queues accept a second `exclusive` consumer without complaint, so the
 *   hold is an exclusive, connection-owned lock queue (`stockline.lock.<queue>`): a second
 *   declare from another connection gets 405 RESOURCE_LOCKED (QueueBusyError), and the broker
 *   deletes it when the connection dies. Single active consumer keeps any other reader waiting.
 * - Backout counts: `x-delivery-count` is absent on a first delivery and grows by one on every
 *   return (nack with requeue, channel close, connection lost), like MQ's BackoutCount.
 *   A message that reached the prefetch buffer but was not yet got when its unit of work was
 *   backed out is returned with the rest (to keep the order) and counts that delivery too.
 * - Backout threshold: the queue's `x-delivery-limit`. Past it the broker moves the message (at
 *   least once) to `<queue>.backout`, as IBM MQ's JMS classes do with BOQNAME; the replicator
 *   dead-letters at the threshold itself, so the broker's move only catches a message the
 *   replicator could not handle (a crash on that very message).
 * - Commit = ack of every delivery up to the last got, then a synchronous method on the same
 *   channel as a barrier: the broker has read the ack when commit returns, but RabbitMQ never
 *   confirms an ack, and a quorum queue applies it after that. So `atomicCommit` is false: a
 *   crash right after commit can bring the batch back, and the replicator's recovery discards it.
 * - The descriptor: message_id and correlation_id carry the ids in lowercase hex (an id that is
 *   not hex, from another publisher, is read as its UTF-8 bytes); the put time is the timestamp
 *   property in seconds as AMQP defines it, plus the `mq-put-time-ms` header to the millisecond;
 *   priority and delivery mode are the AMQP properties; the other MQMD fields are `mq-*` headers.
 *   The user id is a header, not AMQP's user_id (RabbitMQ requires that to be the login).
 */
import { randomBytes } from 'node:crypto';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Options,
} from 'amqplib';
import type { StocklineConfig } from '../config/schema.js';
import { describeError } from '../errors.js';
import { QueueBusyError, QueueTransportError, type QueueErrorContext } from './errors.js';
import type {
  OutgoingQueueMessage,
  QueueMessage,
  QueueSession,
  QueueSpec,
  QueueTransport,
  QueueWriter,
  TransportCapabilities,
} from './port.js';

const TRANSPORT = 'amqp';

/** The backout threshold of a queue when none is configured (≥ 5–10 because every crash counts). */
export const DEFAULT_AMQP_BACKOUT_THRESHOLD = 10;

/** Seconds between heartbeats: a peer that died without closing its socket is found within two. */
const HEARTBEAT_SECONDS = 10;

export const AMQP_HEADERS = {
  putTimeMs: 'mq-put-time-ms',
  ccsid: 'mq-ccsid',
  encoding: 'mq-encoding',
  format: 'mq-format',
  putApplicationName: 'mq-put-application',
  userId: 'mq-user-id',
  groupId: 'mq-group-id',
  sequenceInGroup: 'mq-sequence-in-group',
  deliveryCount: 'x-delivery-count',
} as const;

/** MQENC_NATIVE on Linux x86-64: what a put from this machine is encoded in. */
const NATIVE_ENCODING = 546;
const UTF8_CCSID = 1208;

export interface AmqpTransportOptions {
  /** The backout threshold of each queue, declared as its x-delivery-limit; null: none. */
  backoutThreshold?: (queue: string) => number | null;
  /** The put application name of the messages this connection writes. */
  applicationName?: string;
}

/** AMQP reply codes after which a retry cannot help (the call or the setup is wrong). */
const PERMANENT_REPLY_CODES = new Set([403, 404, 406, 501, 502, 503, 504, 530, 540]);

function replyCode(error: unknown): number | string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'number' || typeof code === 'string' ? code : undefined;
}

function isRetriable(error: unknown): boolean {
  const code = replyCode(error);
  if (typeof code === 'number') return !PERMANENT_REPLY_CODES.has(code);
  // A refused login comes as a handshake error without a reply code.
  return !/ACCESS.REFUSED|authentication/i.test(describeError(error));
}

/**
 * The delivery limit of a queue without a backout threshold. RabbitMQ 3.10 puts a returned message
 * back at the tail of a quorum queue that has no delivery limit, and at the head of one that has:
 * every queue gets one, for the order.
 */
const NO_DELIVERY_LIMIT = 2147483647;

export function queueArguments(queue: string, backoutThreshold: number | null): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-single-active-consumer': true,
    'x-delivery-limit': backoutThreshold ?? NO_DELIVERY_LIMIT,
    ...(backoutThreshold !== null && {
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': backoutQueueName(queue),
      'x-dead-letter-strategy': 'at-least-once',
      // at-least-once dead-lettering requires it; there is no length limit, so it never acts.
      'x-overflow': 'reject-publish',
    }),
  };
}

export const backoutQueueName = (queue: string): string => `${queue}.backout`;
const lockQueueName = (queue: string): string => `stockline.lock.${queue}`;

const toHex = (id: Buffer): string => id.toString('hex');
function fromId(value: unknown): Buffer {
  if (typeof value !== 'string' || value === '') return Buffer.alloc(0);
  return /^(?:[0-9a-f]{2})+$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'utf8');
}
const numberOr = <T>(value: unknown, otherwise: T): number | T =>
  typeof value === 'number' && Number.isFinite(value) ? value : otherwise;
const stringOr = (value: unknown, otherwise: string): string =>
  typeof value === 'string' ? value : otherwise;

function toQueueMessage(delivery: ConsumeMessage): QueueMessage {
  const properties = delivery.properties;
  const headers: Record<string, unknown> = properties.headers ?? {};
  const timestampSeconds = numberOr(properties.timestamp, null);
  const groupId = headers[AMQP_HEADERS.groupId];
  return {
    messageId: fromId(properties.messageId),
    correlationId: fromId(properties.correlationId),
    groupId: typeof groupId === 'string' ? fromId(groupId) : null,
    sequenceInGroup: numberOr(headers[AMQP_HEADERS.sequenceInGroup], null),
    backoutCount: numberOr(headers[AMQP_HEADERS.deliveryCount], 0),
    // No put time at all (a publisher that set neither): the time it reached us.
    putTime: new Date(
      numberOr(
        headers[AMQP_HEADERS.putTimeMs],
        timestampSeconds === null ? Date.now() : timestampSeconds * 1000,
      ),
    ),
    ccsid: numberOr(headers[AMQP_HEADERS.ccsid], null),
    encoding: numberOr(headers[AMQP_HEADERS.encoding], null),
    format: stringOr(headers[AMQP_HEADERS.format], ''),
    persistent: properties.deliveryMode === 2,
    priority: numberOr(properties.priority, null),
    putApplicationName: stringOr(headers[AMQP_HEADERS.putApplicationName], stringOr(properties.appId, '')),
    userId: stringOr(headers[AMQP_HEADERS.userId], stringOr(properties.userId, '')),
    // amqplib may hand a slice of a larger frame buffer: the message owns its bytes.
    body: Buffer.from(delivery.content),
  };
}

function connectOptions(mq: Readonly<StocklineConfig['mq']>): Options.Connect {
  const url = new URL(mq.amqpUrl);
  const protocol = url.protocol.replace(/:$/, '');
  const vhost = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    protocol,
    hostname: url.hostname,
    port: url.port === '' ? (protocol === 'amqps' ? 5671 : 5672) : Number(url.port),
    vhost: vhost === '' ? '/' : vhost,
    heartbeat: HEARTBEAT_SECONDS,
    // Empty: amqplib's default login (guest), which RabbitMQ allows from loopback only.
    ...(mq.user !== '' && { username: mq.user, password: mq.password }),
  };
}

/** Connects to the broker of `mq.amqpUrl` with `mq.user` and `mq.password`. */
export async function createAmqpTransport(
  mq: Readonly<StocklineConfig['mq']>,
  options: AmqpTransportOptions = {},
): Promise<AmqpQueueTransport> {
  const address = new URL(mq.amqpUrl).host;
  const queueManager = mq.queueManager === '' ? address : mq.queueManager;
  let model: ChannelModel;
  try {
    model = await connect(connectOptions(mq));
  } catch (error) {
    throw new QueueTransportError(
      `cannot connect to the AMQP broker at ${mq.amqpUrl}: ${describeError(error)}`,
      { transport: TRANSPORT, queueManager, call: 'connect', reasonCode: replyCode(error) },
      { retriable: isRetriable(error), cause: error },
    );
  }
  return new AmqpQueueTransport(model, queueManager, {
    backoutThreshold: options.backoutThreshold ?? (() => DEFAULT_AMQP_BACKOUT_THRESHOLD),
    applicationName: options.applicationName ?? 'stockline',
    userId: mq.user === '' ? 'guest' : mq.user,
  });
}

interface Resolved {
  backoutThreshold: (queue: string) => number | null;
  applicationName: string;
  userId: string;
}

export class AmqpQueueTransport implements QueueTransport {
  readonly name = TRANSPORT;
  readonly capabilities: TransportCapabilities = {
    atomicCommit: false,
    exactBackoutCount: true,
    exclusiveInput: true,
    redeliveryKeepsOrder: true,
  };
  readonly #sessions = new Set<AmqpSession>();
  /** Queues a session of this connection holds (the broker lets the owner declare its lock again). */
  readonly #held = new Set<string>();
  #failure: QueueTransportError | null = null;
  #closing = false;

  constructor(
    private readonly model: ChannelModel,
    readonly queueManager: string,
    readonly settings: Resolved,
  ) {
    // Without a listener an 'error' event would throw; 'close' follows it and says it all.
    model.on('error', () => undefined);
    model.on('close', (error?: Error) => {
      this.#failure ??= this.failure('connection', undefined, error ?? new Error('connection closed'), {
        retriable: !this.#closing,
        reason: this.#closing ? 'connection closed' : 'connection lost',
      });
      for (const session of this.#sessions) session.fail(this.#failure);
    });
  }

  async open(spec: QueueSpec): Promise<QueueSession> {
    this.ensureOpen('open', spec.queue);
    const context = this.context('queue.declare', spec.queue);
    if (this.#held.has(spec.queue))
      throw new QueueBusyError(
        `queue ${spec.queue} is already held by a session of this connection`,
        context,
      );
    this.#held.add(spec.queue);
    const opened: Channel[] = [];
    let locked = false;
    try {
      const lock = await this.channel('queue.declare', spec.queue);
      opened.push(lock);
      try {
        // Exclusive: owned by this connection; another's declare gets 405 RESOURCE_LOCKED.
        await lock.assertQueue(lockQueueName(spec.queue), { exclusive: true, durable: false });
        locked = true;
      } catch (error) {
        if (replyCode(error) === 405)
          throw new QueueBusyError(
            `queue ${spec.queue} is held for exclusive input by another connection (lock queue ${lockQueueName(spec.queue)})`,
            { ...context, reasonCode: 405 },
            error,
          );
        throw this.failure('queue.declare', spec.queue, error);
      }
      const channel = await this.channel('queue.declare', spec.queue);
      opened.push(channel);
      await this.declare(channel, spec.queue);
      const session = new AmqpSession(this, spec.queue, channel, lock);
      this.#sessions.add(session);
      return session;
    } catch (error) {
      // Let the queue go again: a lock left behind would keep every other connection out.
      if (locked) await opened[0]?.deleteQueue(lockQueueName(spec.queue)).catch(() => undefined);
      await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
      this.#held.delete(spec.queue);
      throw error;
    }
  }

  async writer(spec: QueueSpec): Promise<QueueWriter> {
    this.ensureOpen('open', spec.queue);
    let channel: ConfirmChannel;
    try {
      channel = await this.model.createConfirmChannel();
    } catch (error) {
      throw this.failure('channel.open', spec.queue, error);
    }
    channel.on('error', () => undefined);
    try {
      await this.declare(channel, spec.queue);
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
    return new AmqpWriter(this, spec.queue, channel);
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await Promise.all([...this.#sessions].map((s) => s.close()));
    await this.model.close().catch(() => undefined);
  }

  /**
   * For tests: drops the TCP connection without a word, as a killed process does; the broker
   * gives its unacknowledged deliveries back and deletes its lock queues.
   */
  abortConnection(): void {
    // amqplib keeps the socket on an untyped field of its connection object.
    const { stream } = this.model.connection as unknown as { stream?: { destroy(error: Error): void } };
    // With an error: amqplib learns of a socket's end from its 'error' or 'end' events only.
    stream?.destroy(Object.assign(new Error('connection aborted'), { code: 'ECONNRESET' }));
  }

  /** @internal */
  release(session: AmqpSession): void {
    this.#sessions.delete(session);
    this.#held.delete(session.queue);
  }

  /** @internal */
  context(call: string, queue: string | undefined, reasonCode?: number | string): QueueErrorContext {
    return {
      transport: TRANSPORT,
      queueManager: this.queueManager,
      ...(queue !== undefined && { queue }),
      call,
      ...(reasonCode !== undefined && { reasonCode }),
    };
  }

  /** @internal A failed call as a QueueTransportError, retriable unless the broker refused it for good. */
  failure(
    call: string,
    queue: string | undefined,
    error: unknown,
    options: { retriable?: boolean; reason?: string } = {},
  ): QueueTransportError {
    if (error instanceof QueueTransportError) return error;
    const code = replyCode(error);
    return new QueueTransportError(
      `${call}${queue === undefined ? '' : ` on ${queue}`} failed: ${options.reason ?? describeError(error)}`,
      this.context(call, queue, code),
      { retriable: options.retriable ?? isRetriable(error), cause: error },
    );
  }

  /** @internal */
  ensureOpen(call: string, queue: string): void {
    if (this.#failure !== null) throw this.#failure;
    if (this.#closing) throw this.failure(call, queue, new Error('transport closed'), { retriable: false });
  }

  private async channel(call: string, queue: string): Promise<Channel> {
    try {
      const channel = await this.model.createChannel();
      channel.on('error', () => undefined);
      return channel;
    } catch (error) {
      throw this.failure(call, queue, error);
    }
  }

  /** Declares the queue (and its backout queue) with the arguments every stockline process uses. */
  private async declare(channel: Channel, queue: string): Promise<void> {
    const threshold = this.settings.backoutThreshold(queue);
    try {
      if (threshold !== null)
        await channel.assertQueue(backoutQueueName(queue), {
          durable: true,
          arguments: { 'x-queue-type': 'quorum' },
        });
      await channel.assertQueue(queue, { durable: true, arguments: queueArguments(queue, threshold) });
    } catch (error) {
      const inequivalent = replyCode(error) === 406;
      throw this.failure('queue.declare', queue, error, {
        retriable: false,
        ...(inequivalent && {
          reason: `${queue} exists with other arguments than ${JSON.stringify(queueArguments(queue, threshold))} (${describeError(error)}); delete it or declare it so`,
        }),
      });
    }
  }
}

class AmqpSession implements QueueSession {
  readonly queueManager: string;
  /** Delivered by the broker (prefetch), not yet got: later in the queue than every got one. */
  #buffer: ConsumeMessage[] = [];
  /** Got since the last commit or backout: the unit of work. */
  #unitOfWork: ConsumeMessage[] = [];
  /** The current consumer and its prefetch; null before the first get. */
  #consumer: { tag: string; prefetch: number } | null = null;
  #failure: QueueTransportError | null = null;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(
    private readonly transport: AmqpQueueTransport,
    readonly queue: string,
    private readonly channel: Channel,
    private readonly lock: Channel,
  ) {
    this.queueManager = transport.queueManager;
    channel.on('close', () => {
      if (!this.#closed)
        this.fail(transport.failure('channel', queue, new Error('channel closed by the broker')));
    });
  }

  async get(max: number, waitMs: number): Promise<QueueMessage[]> {
    this.ensureUsable('basic.get');
    // Prefetch = the batch size asked: the broker hands at most one batch ahead of the unit of work.
    if (this.needsConsumer(max)) await this.startConsuming(Math.max(1, max));
    const deadline = Date.now() + waitMs;
    while (this.#buffer.length === 0 && Date.now() < deadline) {
      await this.nextDelivery(deadline - Date.now());
      this.ensureUsable('basic.get');
    }
    const taken = this.#buffer.splice(0, Math.max(0, max));
    this.#unitOfWork.push(...taken);
    return taken.map(toQueueMessage);
  }

  async commit(): Promise<void> {
    this.ensureUsable('basic.ack');
    const last = this.#unitOfWork.at(-1);
    if (last === undefined) return;
    this.channel.ack(last, true);
    this.#unitOfWork = [];
    await this.barrier('basic.ack');
  }

  async backout(): Promise<void> {
    this.ensureUsable('basic.nack');
    // The prefetched ones go back too, or they would be got before the backed-out ones.
    const last = this.#buffer.at(-1) ?? this.#unitOfWork.at(-1);
    if (last === undefined) return;
    this.channel.nack(last, true, true);
    this.#unitOfWork = [];
    this.#buffer = [];
    await this.barrier('basic.nack');
  }

  async depth(): Promise<number> {
    this.ensureUsable('queue.declare');
    // The broker counts ready messages only; ours (got or prefetched) are unacknowledged.
    const ready = await this.checkQueue('queue.declare');
    return ready + this.#unitOfWork.length + this.#buffer.length;
  }

  backoutThreshold(): Promise<number | null> {
    return Promise.resolve(this.transport.settings.backoutThreshold(this.queue));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    if (this.#failure === null) {
      // Closing the channel gives back what it holds unacknowledged (the backout).
      await this.channel.close().catch(() => undefined);
      await this.lock.deleteQueue(lockQueueName(this.queue)).catch(() => undefined);
      await this.lock.close().catch(() => undefined);
    }
    // Only now: a new session of this connection must not find its lock deleted under it.
    this.transport.release(this);
  }

  /** @internal The connection or channel died: every call from now on fails with `failure`. */
  fail(failure: QueueTransportError): void {
    this.#failure ??= failure;
    this.#wake?.();
  }

  /**
   * Whether a new consumer must start: none yet, a batch larger than its prefetch, or one that can
   * receive no more before an ack (a unit of work larger than the prefetch), because RabbitMQ
   * applies a new prefetch to new consumers only.
   */
  private needsConsumer(max: number): boolean {
    if (this.#consumer === null) return true;
    const { tag, prefetch } = this.#consumer;
    // A larger batch than the prefetch: one message per get would follow.
    if (max > prefetch) return true;
    if (this.#buffer.length >= max) return false;
    const outstanding = [...this.#unitOfWork, ...this.#buffer].filter(
      (d) => d.fields.consumerTag === tag,
    ).length;
    return outstanding >= prefetch;
  }

  /**
   * Starts a consumer with this prefetch, after cancelling the current one: what the cancelled one
   * received stays unacknowledged on the channel, in order, and is acked or given back with the rest.
   */
  private async startConsuming(prefetch: number): Promise<void> {
    try {
      if (this.#consumer !== null) await this.channel.cancel(this.#consumer.tag);
      this.#consumer = null;
      await this.channel.prefetch(prefetch);
      const { consumerTag } = await this.channel.consume(
        this.queue,
        (delivery) => this.onDelivery(delivery),
        {
          noAck: false,
        },
      );
      this.#consumer = { tag: consumerTag, prefetch };
    } catch (error) {
      throw this.transport.failure('basic.consume', this.queue, error);
    }
  }

  private onDelivery(delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      this.fail(
        this.transport.failure('basic.consume', this.queue, new Error('the broker cancelled the consumer'), {
          reason: 'the broker cancelled the consumer (queue deleted?)',
          retriable: false,
        }),
      );
      return;
    }
    this.#buffer.push(delivery);
    this.#wake?.();
  }

  private nextDelivery(waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.#wake = done;
    });
  }

  /**
   * A synchronous method on the same channel: its reply comes after the broker processed every
   * method sent before it (the ack), and fails if the channel or connection died meanwhile.
   */
  private async barrier(call: string): Promise<void> {
    await this.checkQueue(call);
  }

  private async checkQueue(call: string): Promise<number> {
    try {
      return (await this.channel.checkQueue(this.queue)).messageCount;
    } catch (error) {
      const failure = this.transport.failure(call, this.queue, error, {
        retriable: true,
        ...(call === 'basic.ack' && { reason: `outcome unknown: ${describeError(error)}` }),
      });
      this.fail(failure);
      throw failure;
    }
  }

  private ensureUsable(call: string): void {
    if (this.#failure !== null) throw this.#failure;
    if (this.#closed)
      throw this.transport.failure(call, this.queue, new Error('session closed'), { retriable: false });
  }
}

function drainedOrClosed(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.once('drain', done);
    channel.once('close', done);
  });
}

class AmqpWriter implements QueueWriter {
  constructor(
    private readonly transport: AmqpQueueTransport,
    private readonly queue: string,
    private readonly channel: ConfirmChannel,
  ) {}

  async put(messages: readonly OutgoingQueueMessage[]): Promise<void> {
    this.transport.ensureOpen('basic.publish', this.queue);
    const { applicationName, userId } = this.transport.settings;
    try {
      for (const m of messages) {
        const now = Date.now();
        const fits = this.channel.sendToQueue(this.queue, m.body, {
          persistent: m.persistent ?? true,
          messageId: toHex(m.messageId ?? randomBytes(24)),
          ...(m.correlationId !== undefined &&
            m.correlationId.length > 0 && { correlationId: toHex(m.correlationId) }),
          priority: m.priority ?? 0,
          timestamp: Math.floor(now / 1000),
          headers: {
            [AMQP_HEADERS.putTimeMs]: now,
            [AMQP_HEADERS.ccsid]: m.ccsid ?? UTF8_CCSID,
            [AMQP_HEADERS.encoding]: NATIVE_ENCODING,
            [AMQP_HEADERS.format]: m.format ?? '',
            [AMQP_HEADERS.putApplicationName]: m.putApplicationName ?? applicationName,
            [AMQP_HEADERS.userId]: m.userId ?? userId,
          },
        });
        // The socket's buffer is full: wait for it to drain rather than queue without bound.
        if (!fits) await drainedOrClosed(this.channel);
      }
      // Publisher confirms: every message is on the queue (and on disk: persistent, quorum).
      await this.channel.waitForConfirms();
    } catch (error) {
      throw this.transport.failure('basic.publish', this.queue, error);
    }
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
  }
}
