import type { KafkaRecord } from './port.js';

/**
 * A consumer-group member that hands over whole batches per partition and lets the caller own
 * the positions (they live in the caller's database, not in Kafka). Port beside port.ts; the
 * adapters are kafkajs-batch-consumer.ts and rdkafka-batch-consumer.ts, clients.ts picks one
 * (createBatchConsumer), test/integration/kafka-port/batch-consumer.test.ts runs against both.
 *
 * Deliberately outside the contract (callers must not rely on it):
 * - What a "batch" holds: kafkajs hands over one fetch response per partition, node-rdkafka the
 *   records of one consume call per partition. Only "whole, in order, one after the other" holds.
 * - How onFilteredOut splits a range of aborted records: kafkajs reports each fetch that held
 *   only aborted records and markers; node-rdkafka reports the whole range once, when it reads
 *   the marker that ends it. Either way the reports chain from where the partition stood.
 * - When `commit` resolves: kafkajs once the broker acknowledged it, node-rdkafka once librdkafka
 *   took it (its answer comes through the consume loop, which waits for the calling batch); a
 *   failed commit is logged, not raised.
 * - `heartbeat`: kafkajs sends one (and rejects when the group is rebalancing); node-rdkafka
 *   heartbeats on its own thread and only resolves, and a round of batches longer than
 *   max.poll.interval.ms (5 min) makes it leave the group.
 * - Offsets past 2^53: node-rdkafka hands them over as JS numbers (exact up to 2^53 only).
 */
export interface FetchedBatch {
  topic: string;
  partition: number;
  /**
   * The offset the fetch asked for, when the client tells it (node-rdkafka: where the adapter
   * knows the partition's next fetch starts; unknown only after a failed lookup or seek).
   */
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
