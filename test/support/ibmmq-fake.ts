/**
 * An in-memory IBM MQ queue manager behind the MQI surface the ibmmq transport uses
 * (src/mq/ibmmq-mqi.ts), injected through `createIbmmqTransport`'s loader. It lives under test/
 * so that the product can never load it.
 *
 * What it models, as IBM MQ documents it:
 * - units of work per connection: gets and puts under syncpoint are final at MQCMIT, reinstated
 *   at MQBACK (each got message's BackoutCount grows by one, and it goes back to its place in
 *   queue order), and committed by a normal MQDISC (distributed platforms), backed out when the
 *   connection breaks;
 * - CURDEPTH counts messages got in an open unit of work until it commits;
 * - MQOO_INPUT_EXCLUSIVE against any other input open: MQRC_OBJECT_IN_USE (2042);
 * - MQRC_NO_MSG_AVAILABLE (2033) on an empty queue, after blocking the caller for the wait
 *   interval (capped by `maxWaitMs`, so tests stay fast), as GetSync blocks the event loop;
 * - MQRC_TRUNCATED_MSG_FAILED (2080, a warning) when the buffer is too small: the message stays
 *   and the callback gets its length;
 * - matching on MsgId when the descriptor carries one (so a reused descriptor matters);
 * - MQINQ of CURDEPTH and BOTHRESH; message context set by the queue manager on put unless
 *   MQPMO_SET_ALL_CONTEXT; fixed-width MQMD strings padded with blanks, as MQ returns them.
 * Not modelled: message groups' logical order, segmentation, conversion, expiry, priorities'
 * effect on order, the heartbeat delay before a dead connection's queue is released.
 *
 * Every verb call is recorded in `calls` so tests can assert the options passed; `failNext`
 * injects one failure of a verb.
 */
import type {
  MqiAttr,
  MqiCd,
  MqiCno,
  MqiConstants,
  MqiCsp,
  MqiError,
  MqiGmo,
  MqiMd,
  MqiOd,
  MqiPmo,
  MqiSco,
  MqiSurface,
} from '../../src/mq/ibmmq-mqi.js';

/**
 * The constants, with IBM MQ's values (cmqc.h; the ibmmq package's lib/mqidefs.js, which the
 * transport's test compares them with), plus the reason codes the fake raises beyond the
 * adapter's own.
 */
export const FAKE_MQC = {
  MQCC_OK: 0,
  MQCC_WARNING: 1,
  MQCC_FAILED: 2,
  MQCNO_CLIENT_BINDING: 2048,
  MQOT_Q: 1,
  MQOO_INPUT_SHARED: 2,
  MQOO_INPUT_EXCLUSIVE: 4,
  MQOO_OUTPUT: 16,
  MQOO_INQUIRE: 32,
  MQOO_SET_ALL_CONTEXT: 2048,
  MQOO_FAIL_IF_QUIESCING: 8192,
  MQCO_NONE: 0,
  MQGMO_NO_WAIT: 0,
  MQGMO_WAIT: 1,
  MQGMO_SYNCPOINT: 2,
  MQGMO_ACCEPT_TRUNCATED_MSG: 64,
  MQGMO_FAIL_IF_QUIESCING: 8192,
  MQGMO_CONVERT: 16384,
  MQMO_NONE: 0,
  MQMO_MATCH_MSG_ID: 1,
  MQPMO_SYNCPOINT: 2,
  MQPMO_NO_SYNCPOINT: 4,
  MQPMO_NEW_MSG_ID: 64,
  MQPMO_SET_ALL_CONTEXT: 2048,
  MQPMO_FAIL_IF_QUIESCING: 8192,
  MQPER_NOT_PERSISTENT: 0,
  MQPER_PERSISTENT: 1,
  MQPER_PERSISTENCE_AS_Q_DEF: 2,
  MQPRI_PRIORITY_AS_Q_DEF: -1,
  MQCCSI_Q_MGR: 0,
  MQENC_NATIVE: 546,
  MQMF_NONE: 0,
  MQMF_MSG_IN_GROUP: 8,
  MQMF_LAST_MSG_IN_GROUP: 16,
  MQIA_CURRENT_Q_DEPTH: 3,
  MQIA_BACKOUT_THRESHOLD: 22,
  MQRC_BACKED_OUT: 2003,
  MQRC_CONNECTION_BROKEN: 2009,
  MQRC_HCONN_ERROR: 2018,
  MQRC_NO_MSG_AVAILABLE: 2033,
  MQRC_NOT_AUTHORIZED: 2035,
  MQRC_NOT_OPEN_FOR_INPUT: 2037,
  MQRC_NOT_OPEN_FOR_INQUIRE: 2038,
  MQRC_NOT_OPEN_FOR_OUTPUT: 2039,
  MQRC_OBJECT_IN_USE: 2042,
  MQRC_OPTIONS_ERROR: 2046,
  MQRC_Q_MGR_NAME_ERROR: 2058,
  MQRC_TRUNCATED_MSG_FAILED: 2080,
  MQRC_UNKNOWN_OBJECT_NAME: 2085,
  MQRC_OUTCOME_MIXED: 2123,
  MQRC_OUTCOME_PENDING: 2124,
  MQRC_Q_MGR_QUIESCING: 2161,
} as const satisfies MqiConstants & Record<string, number>;

type Verb = 'CONNX' | 'DISC' | 'OPEN' | 'CLOSE' | 'GET' | 'PUT' | 'INQ' | 'CMIT' | 'BACK';

/** One verb call as the adapter made it (copies of the option values at the time of the call). */
export type FakeCall =
  | { verb: 'CONNX'; queueManager: string; cno: MqiCno }
  | { verb: 'OPEN'; queue: string; options: number }
  | {
      verb: 'GET';
      queue: string;
      options: number;
      waitInterval: number;
      matchOptions: number;
      md: MqiMd;
      bufferLength: number;
    }
  | { verb: 'PUT'; queue: string; options: number }
  | { verb: 'INQ'; queue: string; selectors: number[] }
  | { verb: 'DISC' | 'CLOSE' | 'CMIT' | 'BACK' };

function numeric(value: number | number[]): number {
  return typeof value === 'number' ? value : value.reduce((all, flag) => all | flag, 0);
}

function pad(text: string, width: number): string {
  return text.slice(0, width).padEnd(width, ' ');
}

function lookup(range: string, value: number): string | null {
  const prefix = `${range}_`;
  const found = Object.entries(FAKE_MQC).find(([name, v]) => name.startsWith(prefix) && v === value);
  return found === undefined ? null : found[0];
}

/** The package's MQError, same fields and message. */
export class FakeMqError extends Error implements MqiError {
  constructor(
    readonly mqcc: number,
    readonly mqrc: number,
    readonly verb: string,
  ) {
    super(
      `${verb}: MQCC = ${lookup('MQCC', mqcc) ?? 'Unknown'} [${mqcc}] MQRC = ${lookup('MQRC', mqrc) ?? 'Unknown'} [${mqrc}]`,
    );
    this.name = 'MQError';
  }
}

// The structures, with the package's defaults (lib/mq*.js).
class FakeMqmd implements MqiMd {
  MsgId = Buffer.alloc(24);
  CorrelId = Buffer.alloc(24);
  GroupId = Buffer.alloc(24);
  MsgSeqNumber = 1;
  MsgFlags: number | number[] = FAKE_MQC.MQMF_NONE;
  BackoutCount = 0;
  PutDate: string | null = null;
  PutTime: string | null = null;
  CodedCharSetId: number = FAKE_MQC.MQCCSI_Q_MGR;
  Encoding: number = FAKE_MQC.MQENC_NATIVE;
  Format: string | Buffer | null = null;
  Persistence: number = FAKE_MQC.MQPER_PERSISTENCE_AS_Q_DEF;
  Priority: number = FAKE_MQC.MQPRI_PRIORITY_AS_Q_DEF;
  PutApplName: string | null = null;
  UserIdentifier: string | null = null;
}
class FakeMqgmo implements MqiGmo {
  Options: number | number[] = FAKE_MQC.MQGMO_NO_WAIT;
  WaitInterval = 0;
  // The package's default: match on MsgId (and CorrelId), which a fresh descriptor leaves empty.
  MatchOptions: number | number[] = FAKE_MQC.MQMO_MATCH_MSG_ID;
}
class FakeMqpmo implements MqiPmo {
  Options: number | number[] = 0;
}
class FakeMqod implements MqiOd {
  ObjectName: string | null = null;
  ObjectType: number = FAKE_MQC.MQOT_Q;
}
class FakeMqcd implements MqiCd {
  ChannelName = '';
  ConnectionName = '';
  SSLCipherSpec = '';
  CertificateLabel = '';
  HeartbeatInterval = 300;
}
class FakeMqsco implements MqiSco {
  KeyRepository = '';
  KeyRepoPassword = '';
  CertificateLabel = '';
}
class FakeMqcsp implements MqiCsp {
  UserId = '';
  Password = '';
}
class FakeMqcno implements MqiCno {
  Options: number | number[] = 0;
  ClientConn: MqiCd = new FakeMqcd();
  SSLConfig: MqiSco = new FakeMqsco();
  SecurityParms: MqiCsp = new FakeMqcsp();
  ApplName = '';
}
class FakeMqattr implements MqiAttr {
  value: number | string;
  constructor(
    readonly selector: number,
    value?: number | string,
  ) {
    this.value = value ?? 0;
  }
}

/** A message on a queue: its descriptor as the queue manager stored it, and its place. */
interface StoredMessage {
  order: number;
  md: Omit<MqiMd, 'BackoutCount'>;
  backoutCount: number;
  body: Buffer;
}

interface FakeQueue {
  name: string;
  available: StoredMessage[];
  /** Got in a unit of work not yet committed: still counted in CURDEPTH. */
  inFlight: number;
  backoutThreshold: number;
  defaultPersistent: boolean;
  opens: Set<FakeObject>;
}

class FakeConnection {
  broken = false;
  /** The client (`FakeQueueManager.client()`) that connected it. */
  client: object = {};
  disconnected = false;
  readonly gets: { queue: FakeQueue; message: StoredMessage }[] = [];
  readonly puts: { queue: FakeQueue; message: StoredMessage }[] = [];
  readonly objects = new Set<FakeObject>();
  constructor(
    readonly applName: string,
    readonly userId: string,
  ) {}
}

class FakeObject {
  closed = false;
  constructor(
    readonly connection: FakeConnection,
    readonly queue: FakeQueue,
    readonly options: number,
  ) {}
}

export interface FakeQueueOptions {
  /** BOTHRESH; 0: none (the queue manager's default). */
  backoutThreshold?: number;
  /** DEFPSIST: what MQPER_PERSISTENCE_AS_Q_DEF means on this queue. */
  defaultPersistent?: boolean;
}

export interface FakeMessage {
  body: Buffer;
  /** Descriptor fields as given; the rest are the queue manager's (a MsgId, put date and time...). */
  md?: Partial<Omit<MqiMd, 'BackoutCount'>>;
  backoutCount?: number;
}

export class FakeQueueManager {
  readonly calls: FakeCall[] = [];
  /** The longest a get blocks on an empty queue, whatever its wait interval (tests stay bounded). */
  maxWaitMs = 1000;
  /** When set, MQCONNX refuses other users (MQRC_NOT_AUTHORIZED). */
  requiredUser: string | null = null;
  readonly ccsid = 819;
  private readonly queues = new Map<string, FakeQueue>();
  private readonly connections = new Set<FakeConnection>();
  private readonly failures: { verb: Verb; mqrc: number; mqcc: number }[] = [];
  private order = 0;
  private msgIds = 0;

  constructor(readonly name: string) {}

  defineQueue(name: string, options: FakeQueueOptions = {}): void {
    this.queues.set(name, {
      name,
      available: [],
      inFlight: 0,
      backoutThreshold: options.backoutThreshold ?? 0,
      defaultPersistent: options.defaultPersistent ?? false,
      opens: new Set(),
    });
  }

  /** The next call of `verb` fails with `mqrc` (MQCC_FAILED unless told) and does nothing else. */
  failNext(verb: Verb, mqrc: number, mqcc: number = FAKE_MQC.MQCC_FAILED): void {
    this.failures.push({ verb, mqrc, mqcc });
  }

  /**
   * Every connection breaks, as when the network or the queue manager drops them: their units
   * of work are backed out (BackoutCount grows), their opens released, and every later call on
   * them fails with MQRC_CONNECTION_BROKEN.
   */
  breakConnections(client?: object): void {
    for (const connection of this.connections) {
      if (client !== undefined && connection.client !== client) continue;
      this.backOut(connection);
      this.release(connection);
      connection.broken = true;
      this.connections.delete(connection);
    }
  }

  /**
   * Another client process: its own MQI surface, whose connections `kill()` breaks alone (the
   * conformance suite kills one transport's connections while another's live on).
   */
  client(): { mqi: MqiSurface; kill: () => void } {
    const tag = {};
    return { mqi: this.surface(tag), kill: () => this.breakConnections(tag) };
  }

  /** Puts a message as another application would, committed (a test's fixture). */
  put(queueName: string, message: FakeMessage): Buffer {
    const queue = this.queue(queueName, 'PUT');
    const stored = this.store(queue, message.md ?? {}, message.body, 'fixture', 'fixture');
    stored.backoutCount = message.backoutCount ?? 0;
    queue.available.push(stored);
    return Buffer.from(stored.md.MsgId);
  }

  /** CURDEPTH. */
  depth(queueName: string): number {
    const queue = this.queue(queueName, 'INQ');
    return queue.available.length + queue.inFlight;
  }

  /** Connections open now (not disconnected, not broken). */
  get connectionCount(): number {
    return this.connections.size;
  }

  callsOf<V extends FakeCall['verb']>(verb: V): Extract<FakeCall, { verb: V }>[] {
    return this.calls.filter((c): c is Extract<FakeCall, { verb: V }> => c.verb === verb);
  }

  /** The MQI surface of this queue manager, for `createIbmmqTransport(mq, async () => fake.mqi)`. */
  readonly mqi: MqiSurface = this.surface({});

  private surface(client: object): MqiSurface {
    return {
      MQC: FAKE_MQC,
      MQCNO: FakeMqcno,
      MQCD: FakeMqcd,
      MQSCO: FakeMqsco,
      MQCSP: FakeMqcsp,
      MQOD: FakeMqod,
      MQMD: FakeMqmd,
      MQGMO: FakeMqgmo,
      MQPMO: FakeMqpmo,
      MQAttr: FakeMqattr,
      Lookup: lookup,
      ConnxPromise: (queueManager, cno) => this.async(() => this.connx(queueManager, cno, client)),
      DiscPromise: (hConn) => this.async(() => this.disc(hConn)),
      OpenPromise: (hConn, od, options) => this.async(() => this.open(hConn, od, options)),
      ClosePromise: (hObj) => this.async(() => this.close(hObj)),
      GetSync: (hObj, md, gmo, buffer, callback) => {
        // Like the package's GetSync with a callback: every MQ failure goes to the callback.
        let length = 0;
        let failure: FakeMqError | null = null;
        try {
          length = this.get(hObj, md, gmo, buffer);
        } catch (error) {
          if (error instanceof TruncatedError) [failure, length] = [error.error, error.length];
          else if (error instanceof FakeMqError) failure = error;
          else throw error;
        }
        callback(failure, length);
      },
      PutSync: (hObj, md, pmo, buffer) => this.putSync(hObj, md, pmo, buffer),
      Inq: (hObj, attributes) => this.inq(hObj, attributes),
      Cmit: (hConn) => this.cmit(hConn),
      Back: (hConn) => this.back(hConn),
    };
  }

  // ---- the verbs ----

  private async<T>(work: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(work());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  private injected(verb: Verb): void {
    const index = this.failures.findIndex((f) => f.verb === verb);
    if (index < 0) return;
    const [failure] = this.failures.splice(index, 1);
    throw new FakeMqError(failure!.mqcc, failure!.mqrc, verb);
  }

  private connection(hConn: object, verb: Verb): FakeConnection {
    if (!(hConn instanceof FakeConnection) || hConn.disconnected) {
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_HCONN_ERROR, verb);
    }
    if (hConn.broken) throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_CONNECTION_BROKEN, verb);
    return hConn;
  }

  private object(hObj: object, verb: Verb): FakeObject {
    if (!(hObj instanceof FakeObject))
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, 2019 /* MQRC_HOBJ_ERROR */, verb);
    // A broken connection answers MQRC_CONNECTION_BROKEN to every verb, on any handle.
    this.connection(hObj.connection, verb);
    if (hObj.closed) throw new FakeMqError(FAKE_MQC.MQCC_FAILED, 2019 /* MQRC_HOBJ_ERROR */, verb);
    return hObj;
  }

  private queue(name: string, verb: Verb): FakeQueue {
    const queue = this.queues.get(name);
    if (queue === undefined)
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_UNKNOWN_OBJECT_NAME, verb);
    return queue;
  }

  private connx(queueManager: string, cno: MqiCno, client: object): FakeConnection {
    this.calls.push({ verb: 'CONNX', queueManager, cno });
    this.injected('CONNX');
    if (queueManager !== this.name) {
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_Q_MGR_NAME_ERROR, 'CONNX');
    }
    if (this.requiredUser !== null && cno.SecurityParms.UserId !== this.requiredUser) {
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_NOT_AUTHORIZED, 'CONNX');
    }
    const connection = new FakeConnection(cno.ApplName, cno.SecurityParms.UserId || 'mqclient');
    connection.client = client;
    this.connections.add(connection);
    return connection;
  }

  private disc(hConn: object): void {
    this.calls.push({ verb: 'DISC' });
    this.injected('DISC');
    const connection = this.connection(hConn, 'DISC');
    // A normal MQDISC commits the open unit of work (distributed platforms).
    this.commit(connection);
    this.release(connection);
    connection.disconnected = true;
    this.connections.delete(connection);
  }

  private open(hConn: object, od: MqiOd, options: number): FakeObject {
    this.calls.push({ verb: 'OPEN', queue: od.ObjectName ?? '', options });
    this.injected('OPEN');
    const connection = this.connection(hConn, 'OPEN');
    const queue = this.queue(od.ObjectName ?? '', 'OPEN');
    const input = FAKE_MQC.MQOO_INPUT_EXCLUSIVE | FAKE_MQC.MQOO_INPUT_SHARED;
    if ((options & input) !== 0) {
      const inputOpens = [...queue.opens].filter((o) => (o.options & input) !== 0);
      const exclusive = (options & FAKE_MQC.MQOO_INPUT_EXCLUSIVE) !== 0;
      if (inputOpens.some((o) => exclusive || (o.options & FAKE_MQC.MQOO_INPUT_EXCLUSIVE) !== 0)) {
        throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_OBJECT_IN_USE, 'OPEN');
      }
    }
    const object = new FakeObject(connection, queue, options);
    queue.opens.add(object);
    connection.objects.add(object);
    return object;
  }

  private close(hObj: object): void {
    this.calls.push({ verb: 'CLOSE' });
    this.injected('CLOSE');
    const object = this.object(hObj, 'CLOSE');
    object.closed = true;
    object.queue.opens.delete(object);
    object.connection.objects.delete(object);
  }

  private get(hObj: object, md: MqiMd, gmo: MqiGmo, buffer: Buffer): number {
    const options = numeric(gmo.Options);
    const matchOptions = numeric(gmo.MatchOptions);
    const object = hObj instanceof FakeObject ? hObj : null;
    this.calls.push({
      verb: 'GET',
      queue: object?.queue.name ?? '',
      options,
      waitInterval: gmo.WaitInterval,
      matchOptions,
      md,
      bufferLength: buffer.length,
    });
    this.injected('GET');
    const { connection, queue, options: openOptions } = this.object(hObj, 'GET');
    if ((openOptions & (FAKE_MQC.MQOO_INPUT_EXCLUSIVE | FAKE_MQC.MQOO_INPUT_SHARED)) === 0) {
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_NOT_OPEN_FOR_INPUT, 'GET');
    }
    const wanted =
      (matchOptions & FAKE_MQC.MQMO_MATCH_MSG_ID) !== 0 && md.MsgId.some((b) => b !== 0) ? md.MsgId : null;
    const index = queue.available.findIndex((m) => wanted === null || m.md.MsgId.equals(wanted));
    if (index < 0) {
      if ((options & FAKE_MQC.MQGMO_WAIT) !== 0 && gmo.WaitInterval > 0) {
        // GetSync blocks the thread for the wait; nothing in this process can put meanwhile.
        Atomics.wait(
          new Int32Array(new SharedArrayBuffer(4)),
          0,
          0,
          Math.min(gmo.WaitInterval, this.maxWaitMs),
        );
      }
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_NO_MSG_AVAILABLE, 'GET');
    }
    const message = queue.available[index]!;
    Object.assign(md, { ...message.md, BackoutCount: message.backoutCount });
    // Fresh copies: the caller may keep them while the fake keeps its own.
    md.MsgId = Buffer.from(message.md.MsgId);
    md.CorrelId = Buffer.from(message.md.CorrelId);
    md.GroupId = Buffer.from(message.md.GroupId);
    if (message.body.length > buffer.length && (options & FAKE_MQC.MQGMO_ACCEPT_TRUNCATED_MSG) === 0) {
      throw new TruncatedError(
        new FakeMqError(FAKE_MQC.MQCC_WARNING, FAKE_MQC.MQRC_TRUNCATED_MSG_FAILED, 'GET'),
        message.body.length,
      );
    }
    queue.available.splice(index, 1);
    const length = message.body.copy(buffer, 0, 0, Math.min(buffer.length, message.body.length));
    if ((options & FAKE_MQC.MQGMO_SYNCPOINT) !== 0) {
      queue.inFlight++;
      connection.gets.push({ queue, message });
    }
    return length;
  }

  private putSync(hObj: object, md: MqiMd, pmo: MqiPmo, buffer: Buffer): void {
    const options = numeric(pmo.Options);
    const object = hObj instanceof FakeObject ? hObj : null;
    this.calls.push({ verb: 'PUT', queue: object?.queue.name ?? '', options });
    this.injected('PUT');
    const { connection, queue, options: openOptions } = this.object(hObj, 'PUT');
    if ((openOptions & FAKE_MQC.MQOO_OUTPUT) === 0) {
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_NOT_OPEN_FOR_OUTPUT, 'PUT');
    }
    const setAll = (options & FAKE_MQC.MQPMO_SET_ALL_CONTEXT) !== 0;
    if (setAll && (openOptions & FAKE_MQC.MQOO_SET_ALL_CONTEXT) === 0) {
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_OPTIONS_ERROR, 'PUT');
    }
    const given: Partial<MqiMd> = { ...md };
    if ((options & FAKE_MQC.MQPMO_NEW_MSG_ID) !== 0) delete given.MsgId;
    if (!setAll) {
      delete given.PutDate;
      delete given.PutTime;
      delete given.PutApplName;
      delete given.UserIdentifier;
    }
    const stored = this.store(queue, given, buffer, connection.applName, connection.userId);
    md.MsgId = Buffer.from(stored.md.MsgId);
    if ((options & FAKE_MQC.MQPMO_SYNCPOINT) !== 0) connection.puts.push({ queue, message: stored });
    else queue.available.push(stored);
  }

  private inq(hObj: object, attributes: MqiAttr[]): void {
    const object = hObj instanceof FakeObject ? hObj : null;
    this.calls.push({
      verb: 'INQ',
      queue: object?.queue.name ?? '',
      selectors: attributes.map((a) => a.selector),
    });
    this.injected('INQ');
    const { queue, options } = this.object(hObj, 'INQ');
    if ((options & FAKE_MQC.MQOO_INQUIRE) === 0) {
      throw new FakeMqError(FAKE_MQC.MQCC_FAILED, FAKE_MQC.MQRC_NOT_OPEN_FOR_INQUIRE, 'INQ');
    }
    for (const attribute of attributes) {
      if (attribute.selector === FAKE_MQC.MQIA_CURRENT_Q_DEPTH) attribute.value = this.depth(queue.name);
      else if (attribute.selector === FAKE_MQC.MQIA_BACKOUT_THRESHOLD)
        attribute.value = queue.backoutThreshold;
      else throw new FakeMqError(FAKE_MQC.MQCC_FAILED, 2067 /* MQRC_SELECTOR_ERROR */, 'INQ');
    }
  }

  private cmit(hConn: object): void {
    this.calls.push({ verb: 'CMIT' });
    this.injected('CMIT');
    this.commit(this.connection(hConn, 'CMIT'));
  }

  private back(hConn: object): void {
    this.calls.push({ verb: 'BACK' });
    this.injected('BACK');
    this.backOut(this.connection(hConn, 'BACK'));
  }

  // ---- the queue manager's own work ----

  private commit(connection: FakeConnection): void {
    for (const { queue } of connection.gets) queue.inFlight--;
    for (const { queue, message } of connection.puts) queue.available.push(message);
    connection.gets.length = 0;
    connection.puts.length = 0;
  }

  private backOut(connection: FakeConnection): void {
    for (const { queue, message } of connection.gets) {
      queue.inFlight--;
      message.backoutCount++;
      // Reinstated at its place: before every message put after it.
      const at = queue.available.findIndex((m) => m.order > message.order);
      queue.available.splice(at < 0 ? queue.available.length : at, 0, message);
    }
    connection.gets.length = 0;
    connection.puts.length = 0;
  }

  private release(connection: FakeConnection): void {
    for (const object of connection.objects) {
      object.closed = true;
      object.queue.opens.delete(object);
    }
    connection.objects.clear();
  }

  /** A descriptor as the queue manager completes it on put. */
  private store(
    queue: FakeQueue,
    given: Partial<Omit<MqiMd, 'BackoutCount'>>,
    body: Buffer,
    applName: string,
    userId: string,
  ): StoredMessage {
    const now = new Date().toISOString();
    const persistence = given.Persistence ?? FAKE_MQC.MQPER_PERSISTENCE_AS_Q_DEF;
    const msgId =
      given.MsgId !== undefined && given.MsgId.some((b) => b !== 0) ? given.MsgId : this.newMsgId();
    const format = Buffer.isBuffer(given.Format) ? given.Format.toString('latin1') : (given.Format ?? '');
    const md: Omit<MqiMd, 'BackoutCount'> = {
      MsgId: Buffer.from(msgId),
      CorrelId: Buffer.from(given.CorrelId ?? Buffer.alloc(24)),
      GroupId: Buffer.from(given.GroupId ?? Buffer.alloc(24)),
      MsgSeqNumber: given.MsgSeqNumber ?? 1,
      MsgFlags: numeric(given.MsgFlags ?? FAKE_MQC.MQMF_NONE),
      PutDate: given.PutDate ?? now.slice(0, 10).replaceAll('-', ''),
      PutTime: given.PutTime ?? now.slice(11, 22).replaceAll(':', '').replace('.', ''),
      CodedCharSetId:
        given.CodedCharSetId === undefined || given.CodedCharSetId === FAKE_MQC.MQCCSI_Q_MGR
          ? this.ccsid
          : given.CodedCharSetId,
      Encoding: given.Encoding ?? FAKE_MQC.MQENC_NATIVE,
      Format: pad(format, 8),
      Persistence:
        persistence === FAKE_MQC.MQPER_PERSISTENCE_AS_Q_DEF
          ? queue.defaultPersistent
            ? FAKE_MQC.MQPER_PERSISTENT
            : FAKE_MQC.MQPER_NOT_PERSISTENT
          : persistence,
      Priority:
        given.Priority === undefined || given.Priority === FAKE_MQC.MQPRI_PRIORITY_AS_Q_DEF
          ? 0
          : given.Priority,
      PutApplName: pad(given.PutApplName ?? applName, 28),
      UserIdentifier: pad(given.UserIdentifier ?? userId, 12),
    };
    return { order: this.order++, md, backoutCount: 0, body: Buffer.from(body) };
  }

  private newMsgId(): Buffer {
    // Like a queue manager's: "AMQ ", its name, then a counter (24 bytes in all).
    const id = Buffer.alloc(24, 0x20);
    id.write(`AMQ ${this.name}`.slice(0, 16), 0, 'latin1');
    id.writeBigUInt64BE(BigInt(++this.msgIds), 16);
    return id;
  }
}

/** A 2080 carries the message's length, which GetSync passes to its callback. */
class TruncatedError extends Error {
  constructor(
    readonly error: FakeMqError,
    readonly length: number,
  ) {
    super(error.message);
  }
}
