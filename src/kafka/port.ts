/**
 * The Kafka client port. The service talks to Kafka only through these interfaces so that
 * the client library can vary (kafkajs today; node-rdkafka is the next adapter), and one
 * conformance suite can run against every adapter.
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
  clusterId: string;
  controller: number | null;
  brokers: { nodeId: number; host: string; port: number }[];
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  config?: Record<string, string>;
}

export interface KafkaAdmin {
  describeCluster(): Promise<ClusterDescription>;
  listTopics(): Promise<string[]>;
  createTopics(topics: TopicSpec[]): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
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
