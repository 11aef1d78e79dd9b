/**
 * The message queue port: what the MQ replicator needs of a queue, defined by the semantics it
 * relies on rather than by IBM's MQI, so that more than one transport can serve it
 * (`ibmmq-transport.ts` for IBM MQ in production, `amqp-transport.ts` for RabbitMQ, the stand-in
 * that runs here, and `memory-transport.ts` for unit tests). One conformance suite
 * (test/integration/mq-transport.test.ts) runs against every adapter; a capability an adapter
 * lacks is reported there as skipped, never as passed.
 *
 * Deliberately outside the contract:
 * - Atomicity between the queue and Kafka. The queue's commit and Kafka's never happen together:
 *   the replicator closes that gap itself (a state record in each Kafka transaction, compared
 *   with what the queue hands back after a restart), whatever the transport.
 * - Conversion. Bodies are the bytes as put (no MQGMO_CONVERT): the mapper decodes them.
 * - Browsing, selectors, message properties beyond the descriptor below, and putting under
 *   syncpoint (the writer is for the simulator and the tests; the replicator only gets).
 */

/** One message taken from a queue inside the session's open unit of work. */
export interface QueueMessage {
  /** MQMD MsgId (24 bytes on IBM MQ): the message's identity on its queue manager. */
  messageId: Buffer;
  /** MQMD CorrelId; empty when none. */
  correlationId: Buffer;
  /** MQMD GroupId and MsgSeqNumber, for messages of a group; null when not in one. */
  groupId: Buffer | null;
  sequenceInGroup: number | null;
  /**
   * How often the message was delivered and not committed before this delivery (MQMD
   * BackoutCount; RabbitMQ quorum queues' x-delivery-count). See `exactBackoutCount`.
   */
  backoutCount: number;
  /** When it was put, GMT (MQMD PutDate and PutTime, to the hundredth of a second on IBM MQ). */
  putTime: Date;
  /** MQMD CodedCharSetId, Encoding, Format; null when the transport has no such field. */
  ccsid: number | null;
  encoding: number | null;
  format: string;
  persistent: boolean;
  priority: number | null;
  putApplicationName: string;
  userId: string;
  /** The body, byte for byte. */
  body: Buffer;
}

/** What a test or the simulator puts (the fields a transport cannot set keep its defaults). */
export interface OutgoingQueueMessage {
  body: Buffer;
  messageId?: Buffer;
  correlationId?: Buffer;
  persistent?: boolean;
  priority?: number;
  ccsid?: number;
  format?: string;
  putApplicationName?: string;
  userId?: string;
}

/** What a transport guarantees; the replicator and the conformance suite read them. */
export interface TransportCapabilities {
  /** `commit()` makes every get of the unit of work final at once, and returns once the broker confirmed it. */
  atomicCommit: boolean;
  /** `backoutCount` counts every earlier delivery of the message that was not committed. */
  exactBackoutCount: boolean;
  /** `open()` holds the queue alone: another session of any process waits or gets QueueBusyError. */
  exclusiveInput: boolean;
  /** Messages of a backed-out unit of work come back before any later message of the queue. */
  redeliveryKeepsOrder: boolean;
}

/** A queue held for input, with at most one unit of work open at a time. */
export interface QueueSession {
  readonly queueManager: string;
  readonly queue: string;
  /**
   * Up to `max` messages in queue order, waiting at most `waitMs` for the first and not at all
   * for the others; [] when none came. They join the open unit of work (one begins if none is).
   */
  get(max: number, waitMs: number): Promise<QueueMessage[]>;
  /** Makes every get since the last commit or backout final (they leave the queue). */
  commit(): Promise<void>;
  /** Gives every get since the last commit or backout back to the queue; their backout counts grow. */
  backout(): Promise<void>;
  /** Messages on the queue now, those of an open unit of work included (MQINQ CURDEPTH). */
  depth(): Promise<number>;
  /** The queue's backout threshold (MQ BOTHRESH, RabbitMQ delivery-limit); null when it has none. */
  backoutThreshold(): Promise<number | null>;
  /** Backs out an open unit of work and releases the queue. */
  close(): Promise<void>;
}

/** Puts messages on a queue, each committed on its own (the simulator's and the tests' side). */
export interface QueueWriter {
  put(messages: readonly OutgoingQueueMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface QueueSpec {
  queue: string;
}

/** One way of reaching queues (a queue manager, a broker). */
export interface QueueTransport {
  /** `ibmmq`, `amqp`, `memory`. */
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  /** Opens the queue for input (exclusive when `exclusiveInput`); QueueBusyError when another holds it. */
  open(spec: QueueSpec): Promise<QueueSession>;
  writer(spec: QueueSpec): Promise<QueueWriter>;
  /** Closes the connection; sessions still open are backed out. */
  close(): Promise<void>;
}
