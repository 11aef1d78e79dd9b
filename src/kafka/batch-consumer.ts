import type { KafkaRecord } from './port.js';

/**
 * A consumer-group member that hands over whole batches per partition and lets the caller own
 * the positions (they live in the caller's database, not in Kafka). Port beside port.ts; the
 * kafkajs adapter is kafkajs-batch-consumer.ts.
 */
export interface FetchedBatch {
  topic: string;
  partition: number;
  /** The offset the fetch asked for, when the client tells it. */
  fetchedOffset: string | undefined;
  /** First and last offset the fetch returned, control records (transaction markers) included. */
  firstOffset: string | null;
  lastOffset: string;
  /** Committed data only (read_committed), in offset order. */
  records: KafkaRecord[];
}

export interface BatchControl {
  /** Everything up to `offset` is done: the client fetches on after it. */
  resolveOffset(offset: string): void;
  /** Keeps the group membership alive during a long batch. */
  heartbeat(): Promise<void>;
  /** The next fetch of this partition starts at `offset`. */
  seek(offset: bigint): void;
  /** False once the consumer stops or this batch went stale (a seek or a rebalance). */
  isActive(): boolean;
}

export interface BatchConsumerOptions {
  groupId: string;
  topic: string;
  /** After every rebalance, with the partitions this member now has. */
  onAssignment(partitions: number[]): void;
  /**
   * One batch of one partition; batches of a partition come one after the other. Errors of the
   * client itself (from `heartbeat`) must propagate; any other error ends up in onCrash.
   */
  onBatch(batch: FetchedBatch, control: BatchControl): Promise<void>;
  /**
   * A fetch of a partition held records but none for the caller: only aborted transactions and
   * transaction markers, from `firstOffset` to `lastOffset`. The client hands over no batch for
   * it and fetches on after `lastOffset`; a caller that tracks positions moves past the range
   * here (else it would seek back to it for ever).
   */
  onFilteredOut?(partition: number, firstOffset: string, lastOffset: string): void;
  /** A fatal error: onBatch failed, or the client gave up. */
  onCrash(error: unknown): void;
}

export interface BatchConsumer {
  /** Joins the group and starts fetching; resolves once running. */
  start(options: BatchConsumerOptions): Promise<void>;
  /** Earliest and end offset of a partition. */
  partitionOffsets(topic: string, partition: number): Promise<{ low: bigint; high: bigint }>;
  /** Records a position in Kafka too, for lag tools; the caller never reads it back. */
  commit(topic: string, partition: number, next: bigint): Promise<void>;
  /** Stops after the current batch and leaves the group. */
  stop(): Promise<void>;
}
