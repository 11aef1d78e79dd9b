/**
 * The part of the `ibmmq` package (IBM's MQI for Node, npm `ibmmq`) that the ibmmq transport
 * uses, described structurally so that two things can provide it: the real package, loaded
 * lazily by `ibmmq-transport.ts` (which checks at compile time that the package's own typings
 * fit this surface), and the in-memory fake the tests inject (test/support/ibmmq-fake.ts).
 *
 * Only types here: importing this file loads nothing at run time.
 *
 * Names and shapes follow the package (types/index.d.ts, types/mq*.d.ts, lib/mqi.js of ibmmq
 * 2.1.9). Members are declared as methods on purpose: TypeScript compares method parameters
 * bivariantly, so the package's classes (with many more fields than the adapter touches) fit
 * the narrower shapes below.
 */

/** A connection (MQQueueManager) or an open object (MQObject): opaque to the adapter. */
export type MqiHandle = object;

/** The MQMD fields the adapter reads or sets. Strings may be null on a fresh descriptor. */
export interface MqiMd {
  MsgId: Buffer;
  CorrelId: Buffer;
  GroupId: Buffer;
  MsgSeqNumber: number;
  MsgFlags: number | number[];
  BackoutCount: number;
  PutDate: string | null;
  PutTime: string | null;
  CodedCharSetId: number;
  Encoding: number;
  /** A string once MQGET filled it; the package's typings also allow a Buffer. */
  Format: string | Buffer | null;
  Persistence: number;
  Priority: number;
  PutApplName: string | null;
  UserIdentifier: string | null;
}

export interface MqiGmo {
  Options: number | number[];
  WaitInterval: number;
  MatchOptions: number | number[];
}

export interface MqiPmo {
  Options: number | number[];
}

export interface MqiOd {
  ObjectName: string | null;
  ObjectType: number;
}

export interface MqiCd {
  ChannelName: string;
  ConnectionName: string;
  SSLCipherSpec: string;
  CertificateLabel: string;
  HeartbeatInterval: number;
}

export interface MqiSco {
  KeyRepository: string;
  KeyRepoPassword: string;
  CertificateLabel: string;
}

export interface MqiCsp {
  UserId: string;
  Password: string;
}

export interface MqiCno {
  Options: number | number[];
  ClientConn: MqiCd;
  SSLConfig: MqiSco;
  SecurityParms: MqiCsp;
  ApplName: string;
}

export interface MqiAttr {
  selector: number;
  value: number | string;
}

/** What an MQI verb throws or passes to its callback (the package's MQError). */
export interface MqiError extends Error {
  mqcc: number;
  mqrc: number;
  verb: string;
}

/** The MQC constants the adapter uses, by their MQI names. */
export interface MqiConstants {
  MQCC_OK: number;
  MQCC_WARNING: number;
  MQCC_FAILED: number;
  MQCNO_CLIENT_BINDING: number;
  MQOT_Q: number;
  MQOO_INPUT_EXCLUSIVE: number;
  MQOO_INQUIRE: number;
  MQOO_OUTPUT: number;
  MQOO_SET_ALL_CONTEXT: number;
  MQOO_FAIL_IF_QUIESCING: number;
  MQCO_NONE: number;
  MQGMO_SYNCPOINT: number;
  MQGMO_WAIT: number;
  MQGMO_NO_WAIT: number;
  MQGMO_FAIL_IF_QUIESCING: number;
  MQGMO_CONVERT: number;
  MQMO_NONE: number;
  MQPMO_NO_SYNCPOINT: number;
  MQPMO_NEW_MSG_ID: number;
  MQPMO_SET_ALL_CONTEXT: number;
  MQPMO_FAIL_IF_QUIESCING: number;
  MQPER_PERSISTENT: number;
  MQPER_NOT_PERSISTENT: number;
  MQMF_MSG_IN_GROUP: number;
  MQMF_LAST_MSG_IN_GROUP: number;
  MQIA_CURRENT_Q_DEPTH: number;
  MQIA_BACKOUT_THRESHOLD: number;
  MQRC_BACKED_OUT: number;
  MQRC_CONNECTION_BROKEN: number;
  MQRC_HCONN_ERROR: number;
  MQRC_NO_MSG_AVAILABLE: number;
  MQRC_OBJECT_IN_USE: number;
  MQRC_OUTCOME_MIXED: number;
  MQRC_OUTCOME_PENDING: number;
  MQRC_TRUNCATED_MSG_FAILED: number;
}

export interface MqiSurface {
  MQC: MqiConstants;
  MQCNO: new () => MqiCno;
  MQCD: new () => MqiCd;
  MQSCO: new () => MqiSco;
  MQCSP: new () => MqiCsp;
  MQOD: new () => MqiOd;
  MQMD: new () => MqiMd;
  MQGMO: new () => MqiGmo;
  MQPMO: new () => MqiPmo;
  MQAttr: new (selector: number, value?: number | string) => MqiAttr;
  /** MQ's name of a constant's value, e.g. Lookup('MQRC', 2033) = 'MQRC_NO_MSG_AVAILABLE'. */
  Lookup(range: string, value: number): string | null;
  ConnxPromise(queueManager: string, cno: MqiCno): Promise<MqiHandle>;
  DiscPromise(hConn: MqiHandle): Promise<void>;
  OpenPromise(hConn: MqiHandle, od: MqiOd, options: number): Promise<MqiHandle>;
  ClosePromise(hObj: MqiHandle, options: number): Promise<void>;
  /**
   * MQGET. With a callback, the callback also sees the message's real length when the buffer
   * was too small (MQRC_TRUNCATED_MSG_FAILED); without one, that length is lost in the throw.
   */
  GetSync(
    hObj: MqiHandle,
    md: MqiMd,
    gmo: MqiGmo,
    buffer: Buffer,
    callback: (error: MqiError | null, dataLength: number) => void,
  ): unknown;
  PutSync(hObj: MqiHandle, md: MqiMd, pmo: MqiPmo, buffer: Buffer): unknown;
  /** MQINQ: fills each attribute's `value` in place; throws MqiError on failure. */
  Inq(hObj: MqiHandle, attributes: MqiAttr[]): unknown;
  /** MQCMIT and MQBACK: synchronous in the package on purpose (its issue #169); throw MqiError. */
  Cmit(hConn: MqiHandle): unknown;
  Back(hConn: MqiHandle): unknown;
}
