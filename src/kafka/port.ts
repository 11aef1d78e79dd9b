/**
 * The Kafka client port. The service talks to Kafka only through these interfaces (and the
 * batch consumer's, batch-consumer.ts) so that the client library can vary: kafkajs-*.ts and
 * rdkafka-*.ts implement them, clients.ts picks one from the `kafka.client` setting, and one
 * conformance suite per part (test/integration/kafka-port/) runs against every adapter. ESLint
 * refuses an import of kafkajs, node-rdkafka or an adapter module outside src/kafka/.
 *
 * Deliberately outside the contract, so that an adapter need not emulate it and a caller must
 * not rely on it:
 * - Order across partitions, and across keys: only the records of one partition (for a
 *   producer: of one topic and key) keep their order.
 * - Exactly-once for a plain producer: KafkaProducer is idempotent (a retry never writes a
 *   record twice in a row), but a send that rejects may have written part of its records, and
 *   sending them again writes those twice. Exactly-once takes a transaction: the pipeline, or
 *   the TransactionalProducer.
 * - How a client retries on its own (how often, how long it waits, its request sizes): each
 *   library has its own policy; the contract is only when a call resolves and when it rejects.
 * - The partition of a record without a key; the partition of a keyed record is the Java
 *   client's (murmur2 of the key), whichever client wrote it.
 * - Which broker answers, connection pooling, and the client's own log lines (they go through
 *   the service's logger, at levels the adapter chooses).
 * - A null header value: kafkajs keeps it apart from an empty one, node-rdkafka 3.6 gives both
 *   as an empty Buffer.
 * - An empty key or value apart from none: node-rdkafka 3.6 writes an empty one as null (on a
 *   compacted topic an empty value is then a tombstone).
 * - Header values that are not UTF-8 text: node-rdkafka 3.6 produces a header value as a C
 *   string (decoded as UTF-8, cut at the first NUL byte). Keys and values are bytes everywhere.
 */
export interface KafkaRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as a decimal string. */
  offset: string;
  /** Broker timestamp, milliseconds since the epoch, as a decimal string. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
}

export interface ClusterDescription {
  /** '' when the client cannot tell: node-rdkafka's metadata has no cluster id (outside the contract). */
  clusterId: string;
  /** null when unknown: node-rdkafka's metadata does not name the controller (outside the contract). */
  controller: number | null;
  brokers: { nodeId: number; host: string; port: number }[];
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** Absent: the broker's default.replication.factor. */
  replicationFactor?: number;
  config?: Record<string, string>;
}

/** The first offset still kept and the offset the next record will get, of one partition. */
export interface PartitionOffsets {
  low: bigint;
  high: bigint;
}

/** Offsets per topic and partition (Kafka offsets are 64-bit: bigint, never Number). */
export type TopicOffsets = Map<string, Map<number, bigint>>;

/**
 * Topics, offsets and consumer-group positions of the cluster. Implemented by kafkajs-admin.ts
 * (node-rdkafka's follows with its conformance suite, test/integration/kafka-port/admin.test.ts).
 */
export interface KafkaAdmin {
  describeCluster(): Promise<ClusterDescription>;
  listTopics(): Promise<string[]>;
  /**
   * Resolves once every partition has a leader. A topic that exists already is left as it is
   * (its partitions and config are not compared); one the broker refuses rejects.
   */
  createTopics(topics: TopicSpec[]): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  /**
   * The offset the next record of each partition will get (the high watermark). 64-bit as
   * bigint; node-rdkafka hands offsets over as JS numbers, exact up to 2^53 only.
   */
  endOffsets(topic: string): Promise<Map<number, bigint>>;
  /** Both ends of every partition of a topic (its partition count is the map's size). */
  topicOffsets(topic: string): Promise<Map<number, PartitionOffsets>>;
  /**
   * The offsets a consumer group committed on the topics (absent: on every topic it committed
   * on), per topic and partition; partitions where it committed nothing are left out. Never
   * moves the group's offsets.
   */
  groupOffsets(groupId: string, topics?: readonly string[]): Promise<TopicOffsets>;
  close(): Promise<void>;
}

export interface ReadOptions {
  topics: string[];
  /** Start at the earliest offset (true) or only read what arrives from now on (false). */
  fromBeginning: boolean;
  /** Called for each record in partition order; reading stops when it returns false. */
  onRecord: (record: KafkaRecord) => boolean | void | Promise<boolean | void>;
  signal?: AbortSignal;
  /** How long to wait for topics that do not exist yet (a connector still snapshotting); 0 fails at once. */
  waitForTopicsMs?: number;
}

export interface KafkaReader {
  /** Reads without committing offsets (for people and tests looking at topics); resolves when stopped. */
  read(options: ReadOptions): Promise<void>;
}

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** Silences the client's own logging (health probes expect failures). */
  quiet?: boolean;
}

/** A message to produce. A keyed record goes to the Java client's partition for its key (murmur2). */
export interface OutgoingRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer>;
  /** The record's timestamp, milliseconds since the epoch (the MQ put time); absent: the producer's clock. */
  timestamp?: number;
}

export interface PipelineBatch {
  topic: string;
  partition: number;
  records: KafkaRecord[];
}

export interface PipelineOptions {
  groupId: string;
  /** Topic names, or regular expressions over topic names. */
  topics: (string | RegExp)[];
  /** Prefix of the transactional id; the adapter makes it unique per process. */
  transactionalIdPrefix: string;
  fromBeginning: boolean;
  /** Turns one partition's batch into records to produce, in order. */
  process: (batch: PipelineBatch) => Promise<OutgoingRecord[]>;
}

export interface RunningPipeline {
  stop(): Promise<void>;
  /** Rejects when the pipeline fails for good (a crash of the consumer). */
  done: Promise<void>;
}

/**
 * Consume, transform, produce in one Kafka transaction per batch: the produced records and
 * the consumed offsets commit together, so a crash never loses a record and consumers that
 * read committed data never see a half-done batch.
 */
export interface KafkaPipelineFactory {
  start(options: PipelineOptions): Promise<RunningPipeline>;
}

export interface ProducerOptions {
  /**
   * The client's own retries of a send that fails, before `send` rejects: up to `retries`
   * times, waiting `initialMs` at first and at most `maxMs` between two. Absent: the
   * adapter's defaults.
   */
  retry?: { retries: number; initialMs: number; maxMs: number };
}

/**
 * An idempotent producer, for records that need no transaction (a view such as the stock
 * topic, a replay, test data). Every record is acknowledged by all in-sync replicas (acks=all).
 */
export interface KafkaProducer {
  /**
   * Sends the records; resolves once Kafka has every one of them. The records of one topic and
   * key reach their partition in the order given (also across sends, one after the other). A
   * rejection may leave part of the records written (see the top of this file).
   */
  send(records: OutgoingRecord[]): Promise<void>;
  /** Waits until nothing sent is still on its way (a send that resolved is already there). */
  flush(): Promise<void>;
  /** Flushes, then disconnects. */
  close(): Promise<void>;
}

export interface TransactionalProducerOptions {
  /**
   * The transactional id: one per source, stable across restarts and hosts (not per process),
   * so that a new instance fences the one before it and Kafka aborts what that one left open.
   */
  transactionalId: string;
  /**
   * The compacted topic that holds each source's position, keyed by `source`. It must exist
   * (created with cleanup.policy=compact by whoever sets the source up).
   */
  stateTopic: string;
  /** This source's key on the state topic. */
  source: string;
}

/**
 * One Kafka transaction of a TransactionalProducer: records, then the source position, commit.
 * Until commit, readers that read committed data (isolation.level=read_committed, as every
 * stockline consumer) see none of it; after an abort they never do.
 */
export interface SourceTransaction {
  /** Adds records to the transaction; may be called several times, in order. */
  send(records: OutgoingRecord[]): Promise<void>;
  /**
   * Writes `position` to the state topic, keyed by the source, and commits: the records and the
   * position become visible together. On a failure the transaction is aborted (when the client
   * still can) and commit rejects; a fenced producer rejects with ProducerFencedError.
   */
  commit(position: Buffer | string): Promise<void>;
  /** Drops everything sent in this transaction. */
  abort(): Promise<void>;
}

/**
 * Produces in Kafka transactions for a source that is not a Kafka consumer (the MQ replicator,
 * the SAP HANA capture): the records it captured and its own position in the source commit
 * together, so after a crash it resumes from a position that matches what Kafka has. The
 * pipeline (KafkaPipelineFactory) does the same for a source that is a Kafka topic.
 *
 * Fencing: starting a second instance with the same transactional id fences the first; the
 * first's next call rejects with ProducerFencedError (src/errors.ts), and it must stop: the
 * other instance owns the source now.
 */
export interface TransactionalProducer {
  /**
   * The position of the last committed transaction of this source, read back at start from the
   * state topic (read_committed, after fencing any earlier instance); null when it has none.
   */
  readonly startPosition: Buffer | null;
  /** Begins a transaction; one at a time. */
  begin(): Promise<SourceTransaction>;
  /** Disconnects; a transaction still open is aborted by Kafka (at once, or at its timeout). */
  close(): Promise<void>;
}
