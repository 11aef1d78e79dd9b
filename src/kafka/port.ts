/**
 * The Kafka client port. The service talks to Kafka only through these interfaces so that
 * the client library can vary (kafkajs-*.ts and rdkafka-*.ts; clients.ts picks one from the
 * `kafka.client` setting), and one conformance suite (test/integration/kafka-port.test.ts)
 * runs against every adapter.
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

/** A message to produce. */
export interface OutgoingRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer>;
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
