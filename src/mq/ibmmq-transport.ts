/**
 * The IBM MQ transport: the queue port (`port.ts`) on IBM's MQI through the `ibmmq` package, as
 * an MQ client (MQCONNX with a client channel, optionally TLS).
 *
 * The package is an optional dependency and throws when it is loaded without IBM's C library
 * (libmqm_r.so), so it is imported only inside `createIbmmqTransport`, when the configuration asks
 * for this transport; loading this module loads nothing of it (only `import type`).
 *
 * One MQ connection per session and per writer: a unit of work belongs to a connection (MQCMIT
 * commits everything the connection did under syncpoint), so two sessions on one connection
 * would commit each other's gets.
 *
 * Gets use `GetSync`, which blocks the event loop while MQGET waits. The wait for the first
 * message of a batch is therefore cut into MQGETs of at most WAIT_SLICE_MS (MQGMO_WAIT), with
 * the event loop free between them, so that timers, health checks and metrics scrapes run
 * while the queue is empty, and the rest of the batch is MQGMO_NO_WAIT. Blocking for 100 ms at
 * a time is acceptable for the MQ replicator: it runs as a process of its own per queue group,
 * and its Kafka producer is idle between batches. The asynchronous `Get` (MQCB) was not chosen:
 * it delivers messages through callbacks that the package runs even while the application is
 * still committing (mq-mqi-nodejs #169), and verbs inside them fail with MQRC_HCONN_ASYNC_ACTIVE
 * (#179); a batch under syncpoint wants a plain loop.
 */
import type { StocklineConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { QueueTransportError } from './errors.js';
import { fixedId, toQueueMessage } from './ibmmq-descriptor.js';
import { contextOf, isMqiError, messageOf, mqiFailure, type Place } from './ibmmq-failures.js';
import type { MqiCno, MqiError, MqiHandle, MqiSurface } from './ibmmq-mqi.js';
import type {
  OutgoingQueueMessage,
  QueueMessage,
  QueueSession,
  QueueSpec,
  QueueTransport,
  QueueWriter,
  TransportCapabilities,
} from './port.js';

export type IbmmqLoader = () => Promise<MqiSurface>;

/** What to do when `ibmmq` cannot be loaded: the text of the error, tested word for word. */
export const IBMMQ_INSTALL_HINT =
  'mq.transport is ibmmq, but the ibmmq package cannot be loaded. Install it with ' +
  "`MQIJS_NOREDIST=true npm install ibmmq` and give it IBM MQ's C client library: either " +
  "IBM MQ's redistributable client (unpacked, with LD_LIBRARY_PATH naming its lib64 folder) " +
  'or the full IBM MQ client installed at /opt/mqm (then run setmqenv)';

/**
 * The client side of the channel's heartbeat, in seconds. The channel uses the larger of the
 * client's and the SVRCONN channel's HBINT, so the channel definition must say 30 or less too:
 * it bounds how long a dead replicator's unit of work keeps the queue (and its messages) held.
 */
export const CLIENT_HEARTBEAT_SECONDS = 30;

/**
 * The longest one MQGET waits, and so the longest it blocks the event loop; a longer wait is
 * several gets with the event loop free in between. An idle replicator makes 10 MQGETs a
 * second, a negligible load for a queue manager.
 */
export const WAIT_SLICE_MS = 100;

/** Buffer of the first get of a session; it grows to the size of any larger message. */
const INITIAL_BUFFER_BYTES = 64 * 1024;

/**
 * What IBM MQ guarantees to this transport. All four hold on a queue manager, two of them only
 * with the right queue and channel definitions:
 * - `atomicCommit`: MQCMIT commits the unit of work at once and returns after the queue manager
 *   did (a failure whose outcome is unknown raises QueueTransportError with `outcomeUnknown`).
 * - `exactBackoutCount`: the queue manager counts every backout in MQMD BackoutCount (on z/OS,
 *   across a queue manager restart only with HARDENBO, and capped at 255).
 * - `exclusiveInput`: MQOO_INPUT_EXCLUSIVE; a second opener gets MQRC_OBJECT_IN_USE (2042).
 *   A dead holder keeps the queue until the channel's heartbeat (HBINT, see
 *   CLIENT_HEARTBEAT_SECONDS) or TCP notices.
 * - `redeliveryKeepsOrder`: backed-out messages are reinstated ahead of later ones for a queue
 *   defined MSGDLVSQ(FIFO) whose messages share one priority; under MSGDLVSQ(PRIORITY) with
 *   mixed priorities the order is the priority order instead.
 */
export const IBMMQ_CAPABILITIES: TransportCapabilities = Object.freeze({
  atomicCommit: true,
  exactBackoutCount: true,
  exclusiveInput: true,
  redeliveryKeepsOrder: true,
});

/**
 * `ibmmq` is an optional dependency (it installs with MQIJS_NOREDIST=true, or is left out where
 * its install cannot reach IBM): its name sits in a variable so that the type check never needs
 * the package. `MqiSurface` (ibmmq-mqi.ts) types the part of it the adapter uses; the unit tests
 * check the fake against the package's own constants where it is installed.
 */
const IBMMQ_PACKAGE = 'ibmmq';

async function loadIbmmq(): Promise<MqiSurface> {
  // A CommonJS package seen from ESM: `default` is its module.exports, the most reliable view.
  const namespace = (await import(IBMMQ_PACKAGE)) as MqiSurface & { default?: MqiSurface };
  return namespace.default ?? namespace;
}

/**
 * The IBM MQ transport of `mq`; `load` replaces the `ibmmq` package (the tests pass a fake).
 * Connects nothing yet: each session and writer connects on its own (see the module's TSDoc).
 */
export async function createIbmmqTransport(
  mq: Readonly<StocklineConfig['mq']>,
  load: IbmmqLoader = loadIbmmq,
): Promise<QueueTransport> {
  checkConfig(mq);
  let mqi: MqiSurface;
  try {
    mqi = await load();
  } catch (error) {
    throw new QueueTransportError(
      `${IBMMQ_INSTALL_HINT} (loading it failed: ${messageOf(error)})`,
      contextOf({ queueManager: mq.queueManager }),
      { retriable: false, cause: error },
    );
  }
  return new IbmmqTransport(mqi, mq);
}

function checkConfig(mq: Readonly<StocklineConfig['mq']>): void {
  const missing = (['queueManager', 'connectionName', 'channel'] as const).filter((key) => mq[key] === '');
  if (missing.length > 0) {
    throw new ConfigError(
      `mq.transport is ibmmq, which connects as an MQ client: set ${missing.map((k) => `mq.${k}`).join(', ')}`,
      { field: missing.map((k) => `mq.${k}`).join(', ') },
    );
  }
  if (mq.tls.cipherSpec === '') {
    const tlsOnly = (['keyRepository', 'keyRepositoryPassword', 'certificateLabel'] as const).filter(
      (key) => mq.tls[key] !== '',
    );
    if (tlsOnly.length > 0) {
      throw new ConfigError(
        `${tlsOnly.map((k) => `mq.tls.${k}`).join(', ')} set without mq.tls.cipherSpec: TLS is on only with a CipherSpec; set it (e.g. ANY_TLS12_OR_HIGHER) or remove the others`,
        { field: 'mq.tls.cipherSpec' },
      );
    }
  }
}

/** MQCNO for MQCONNX: a client binding over the configured channel; TLS only with a CipherSpec. */
export function connectOptions(mqi: MqiSurface, mq: Readonly<StocklineConfig['mq']>): MqiCno {
  const cno = new mqi.MQCNO();
  cno.Options = mqi.MQC.MQCNO_CLIENT_BINDING;
  cno.ApplName = 'stockline';
  const cd = new mqi.MQCD();
  cd.ChannelName = mq.channel;
  cd.ConnectionName = mq.connectionName;
  cd.HeartbeatInterval = CLIENT_HEARTBEAT_SECONDS;
  if (mq.tls.cipherSpec !== '') {
    cd.SSLCipherSpec = mq.tls.cipherSpec;
    if (mq.tls.certificateLabel !== '') cd.CertificateLabel = mq.tls.certificateLabel;
    const sco = new mqi.MQSCO();
    if (mq.tls.keyRepository !== '') sco.KeyRepository = mq.tls.keyRepository;
    if (mq.tls.keyRepositoryPassword !== '') sco.KeyRepoPassword = mq.tls.keyRepositoryPassword;
    cno.SSLConfig = sco;
  }
  cno.ClientConn = cd;
  if (mq.user !== '') {
    const csp = new mqi.MQCSP();
    csp.UserId = mq.user;
    csp.Password = mq.password;
    cno.SecurityParms = csp;
  }
  return cno;
}

/** Opens and closes connections; tracks what is open so that `close()` can end it all. */
class IbmmqTransport implements QueueTransport {
  readonly name = 'ibmmq';
  readonly capabilities = IBMMQ_CAPABILITIES;
  private readonly held = new Set<{ close(): Promise<void> }>();
  private closed = false;

  constructor(
    private readonly mqi: MqiSurface,
    private readonly mq: Readonly<StocklineConfig['mq']>,
  ) {}

  private async connect(queue: string): Promise<MqiHandle> {
    if (this.closed) {
      throw new QueueTransportError(
        'the ibmmq transport is closed',
        contextOf({ queueManager: this.mq.queueManager, queue }),
        {
          retriable: false,
        },
      );
    }
    try {
      return await this.mqi.ConnxPromise(this.mq.queueManager, connectOptions(this.mqi, this.mq));
    } catch (error) {
      throw mqiFailure(this.mqi, 'MQCONNX', error, { queueManager: this.mq.queueManager, queue });
    }
  }

  /** Connects, opens `queue` with `options`, and disconnects again when the open fails. */
  private async connectAndOpen(
    queue: string,
    options: number,
  ): Promise<{ hConn: MqiHandle; hObj: MqiHandle }> {
    const hConn = await this.connect(queue);
    const od = new this.mqi.MQOD();
    od.ObjectName = queue;
    od.ObjectType = this.mqi.MQC.MQOT_Q;
    try {
      return { hConn, hObj: await this.mqi.OpenPromise(hConn, od, options) };
    } catch (error) {
      await this.mqi.DiscPromise(hConn).catch(() => undefined);
      throw mqiFailure(this.mqi, 'MQOPEN', error, { queueManager: this.mq.queueManager, queue });
    }
  }

  async open(spec: QueueSpec): Promise<QueueSession> {
    const { MQOO_INPUT_EXCLUSIVE, MQOO_INQUIRE, MQOO_FAIL_IF_QUIESCING } = this.mqi.MQC;
    const { hConn, hObj } = await this.connectAndOpen(
      spec.queue,
      MQOO_INPUT_EXCLUSIVE | MQOO_INQUIRE | MQOO_FAIL_IF_QUIESCING,
    );
    const session = new IbmmqSession(this.mqi, hConn, hObj, this.mq.queueManager, spec.queue, () =>
      this.held.delete(session),
    );
    this.held.add(session);
    return session;
  }

  async writer(spec: QueueSpec): Promise<QueueWriter> {
    const { MQOO_OUTPUT, MQOO_SET_ALL_CONTEXT, MQOO_FAIL_IF_QUIESCING } = this.mqi.MQC;
    // SET_ALL_CONTEXT lets a put name its application and user, as the mainframe's puts do; a
    // queue manager grants it only to a user with +setall on the queue.
    const { hConn, hObj } = await this.connectAndOpen(
      spec.queue,
      MQOO_OUTPUT | MQOO_SET_ALL_CONTEXT | MQOO_FAIL_IF_QUIESCING,
    );
    const writer = new IbmmqWriter(
      this.mqi,
      hConn,
      hObj,
      { queueManager: this.mq.queueManager, queue: spec.queue },
      () => this.held.delete(writer),
    );
    this.held.add(writer);
    return writer;
  }

  async close(): Promise<void> {
    this.closed = true;
    const results = await Promise.allSettled([...this.held].map((each) => each.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}

/** Closes an object and its connection, backing out first when asked (MQDISC would commit). */
async function release(
  mqi: MqiSurface,
  hConn: MqiHandle,
  hObj: MqiHandle,
  place: Place,
  backOut: boolean,
): Promise<void> {
  const gone = new Set([mqi.MQC.MQRC_CONNECTION_BROKEN, mqi.MQC.MQRC_HCONN_ERROR]);
  let first: ReturnType<typeof mqiFailure> | undefined;
  const attempt = async (verb: string, call: () => unknown): Promise<void> => {
    try {
      await call();
    } catch (error) {
      // A connection that is already gone has nothing left to release: the queue manager backs
      // its unit of work out on its own.
      if (isMqiError(error) && gone.has(error.mqrc)) return;
      first ??= mqiFailure(mqi, verb, error, place);
    }
  };
  if (backOut) await attempt('MQBACK', () => mqi.Back(hConn));
  await attempt('MQCLOSE', () => mqi.ClosePromise(hObj, mqi.MQC.MQCO_NONE));
  await attempt('MQDISC', () => mqi.DiscPromise(hConn));
  if (first !== undefined) throw first;
}

class IbmmqSession implements QueueSession {
  private buffer = Buffer.alloc(INITIAL_BUFFER_BYTES);
  private closed = false;

  constructor(
    private readonly mqi: MqiSurface,
    private readonly hConn: MqiHandle,
    private readonly hObj: MqiHandle,
    readonly queueManager: string,
    readonly queue: string,
    private readonly onClose: () => void,
  ) {}

  private get place(): Place {
    return { queueManager: this.queueManager, queue: this.queue };
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new QueueTransportError(
        `the ibmmq session on queue ${this.queue} is closed`,
        contextOf(this.place),
        {
          retriable: false,
        },
      );
    }
  }

  async get(max: number, waitMs: number): Promise<QueueMessage[]> {
    this.checkOpen();
    if (max < 1) return [];
    const first = await this.waitForFirst(waitMs);
    if (first === null) return [];
    const messages = [first];
    while (messages.length < max) {
      const message = this.getOne(null);
      if (message === null) break;
      messages.push(message);
    }
    return messages;
  }

  /**
   * The first message of a batch, waiting up to `waitMs` in MQGETs that wait at most
   * WAIT_SLICE_MS each, with the event loop free in between (see the module's TSDoc). A
   * negative wait is no wait: MQ reads -1 as MQWI_UNLIMITED.
   */
  private async waitForFirst(waitMs: number): Promise<QueueMessage | null> {
    const deadline = Date.now() + Math.max(0, Math.round(waitMs));
    for (;;) {
      this.checkOpen();
      const remaining = Math.max(0, deadline - Date.now());
      const message = this.getOne(Math.min(remaining, WAIT_SLICE_MS));
      if (message !== null || remaining <= WAIT_SLICE_MS) return message;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * One MQGET under syncpoint: waiting `waitMs` (MQGMO_WAIT, WaitInterval) or not at all
   * (null: MQGMO_NO_WAIT); null when the queue has none. Never MQGMO_CONVERT: the body stays the bytes
   * as put. A message larger than the buffer stays on the queue (MQRC_TRUNCATED_MSG_FAILED with
   * its length): the buffer grows to that length and the get is made again.
   */
  private getOne(waitMs: number | null): QueueMessage | null {
    const { MQC } = this.mqi;
    for (let attempt = 0; ; attempt++) {
      // A new descriptor for each get: MQGET fills MsgId and CorrelId, and a reused descriptor
      // would ask for that same message next time.
      const md = new this.mqi.MQMD();
      const gmo = new this.mqi.MQGMO();
      gmo.Options =
        MQC.MQGMO_SYNCPOINT |
        MQC.MQGMO_FAIL_IF_QUIESCING |
        (waitMs === null ? MQC.MQGMO_NO_WAIT : MQC.MQGMO_WAIT);
      gmo.WaitInterval = waitMs ?? 0;
      gmo.MatchOptions = MQC.MQMO_NONE;
      let failure: MqiError | null = null;
      let length = 0;
      try {
        this.mqi.GetSync(this.hObj, md, gmo, this.buffer, (error, dataLength) => {
          failure = error;
          length = dataLength;
        });
      } catch (error) {
        // With a callback, MQ failures go to it; what is thrown is a bad parameter.
        throw mqiFailure(this.mqi, 'MQGET', error, this.place);
      }
      const error = failure as MqiError | null;
      if (error === null) return toQueueMessage(this.mqi, md, this.buffer.subarray(0, length));
      if (error.mqrc === MQC.MQRC_NO_MSG_AVAILABLE) return null;
      if (error.mqrc === MQC.MQRC_TRUNCATED_MSG_FAILED && length > this.buffer.length && attempt < 3) {
        this.buffer = Buffer.alloc(length);
        continue;
      }
      throw mqiFailure(this.mqi, 'MQGET', error, this.place);
    }
  }

  commit(): Promise<void> {
    return new Promise((resolve) => {
      this.checkOpen();
      try {
        this.mqi.Cmit(this.hConn);
      } catch (error) {
        // MQRC_BACKED_OUT: the queue manager backed the unit of work out instead; any other
        // failure (connection broken, outcome pending or mixed) leaves the outcome unknown.
        const backedOut = isMqiError(error) && error.mqrc === this.mqi.MQC.MQRC_BACKED_OUT;
        throw mqiFailure(this.mqi, 'MQCMIT', error, this.place, { outcomeUnknown: !backedOut });
      }
      resolve();
    });
  }

  backout(): Promise<void> {
    return new Promise((resolve) => {
      this.checkOpen();
      try {
        this.mqi.Back(this.hConn);
      } catch (error) {
        throw mqiFailure(this.mqi, 'MQBACK', error, this.place);
      }
      resolve();
    });
  }

  private inquire(selector: number): number {
    this.checkOpen();
    const attribute = new this.mqi.MQAttr(selector);
    try {
      this.mqi.Inq(this.hObj, [attribute]);
    } catch (error) {
      throw mqiFailure(this.mqi, 'MQINQ', error, this.place);
    }
    return Number(attribute.value);
  }

  depth(): Promise<number> {
    return new Promise((resolve) => resolve(this.inquire(this.mqi.MQC.MQIA_CURRENT_Q_DEPTH)));
  }

  /** BOTHRESH; 0 (the queue manager's default) means none. */
  backoutThreshold(): Promise<number | null> {
    return new Promise((resolve) => {
      const threshold = this.inquire(this.mqi.MQC.MQIA_BACKOUT_THRESHOLD);
      resolve(threshold > 0 ? threshold : null);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    // Back out explicitly: on distributed platforms MQDISC commits an open unit of work.
    await release(this.mqi, this.hConn, this.hObj, this.place, true);
  }
}

class IbmmqWriter implements QueueWriter {
  private closed = false;

  constructor(
    private readonly mqi: MqiSurface,
    private readonly hConn: MqiHandle,
    private readonly hObj: MqiHandle,
    private readonly place: Place,
    private readonly onClose: () => void,
  ) {}

  /** MQPUT outside syncpoint, one message at a time: each is on the queue when put returns. */
  put(messages: readonly OutgoingQueueMessage[]): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) {
        throw new QueueTransportError('the ibmmq writer is closed', contextOf(this.place), {
          retriable: false,
        });
      }
      for (const message of messages) this.putOne(message);
      resolve();
    });
  }

  private putOne(message: OutgoingQueueMessage): void {
    const { MQC } = this.mqi;
    const md = new this.mqi.MQMD();
    const pmo = new this.mqi.MQPMO();
    let options = MQC.MQPMO_NO_SYNCPOINT | MQC.MQPMO_FAIL_IF_QUIESCING;
    if (message.messageId === undefined) options |= MQC.MQPMO_NEW_MSG_ID;
    else md.MsgId = fixedId(message.messageId, 'MsgId', this.place);
    if (message.correlationId !== undefined)
      md.CorrelId = fixedId(message.correlationId, 'CorrelId', this.place);
    if (message.persistent !== undefined) {
      md.Persistence = message.persistent ? MQC.MQPER_PERSISTENT : MQC.MQPER_NOT_PERSISTENT;
    }
    if (message.priority !== undefined) md.Priority = message.priority;
    if (message.ccsid !== undefined) md.CodedCharSetId = message.ccsid;
    if (message.format !== undefined) md.Format = message.format;
    if (message.putApplicationName !== undefined || message.userId !== undefined) {
      // With SET_ALL_CONTEXT the queue manager takes the whole context from the descriptor,
      // put date and time included, so they are set here as the queue manager would.
      options |= MQC.MQPMO_SET_ALL_CONTEXT;
      const now = new Date().toISOString();
      md.PutDate = now.slice(0, 10).replaceAll('-', '');
      md.PutTime = now.slice(11, 22).replaceAll(':', '').replace('.', '');
      md.PutApplName = message.putApplicationName ?? 'stockline';
      md.UserIdentifier = message.userId ?? '';
    }
    pmo.Options = options;
    try {
      this.mqi.PutSync(this.hObj, md, pmo, message.body);
    } catch (error) {
      throw mqiFailure(this.mqi, 'MQPUT', error, this.place);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    await release(this.mqi, this.hConn, this.hObj, this.place, false);
  }
}
