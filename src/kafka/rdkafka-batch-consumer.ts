import { setTimeout as sleep } from 'node:timers/promises';
import type * as Rdkafka from 'node-rdkafka';
import { RemoteError } from '../errors.js';
import type { BatchConsumer, BatchConsumerOptions, BatchControl, FetchedBatch } from './batch-consumer.js';
import type { KafkaConnection, KafkaRecord } from './port.js';
import {
  asError,
  asRemoteError,
  baseConfig,
  connect,
  consumeBatch,
  disconnect,
  isFatal,
  loadRdkafka,
  logClientErrors,
  RdkafkaCode,
  toKafkaRecord,
} from './rdkafka-client.js';

export interface RdkafkaBatchConsumerSettings {
  /** A dead member's partitions wait this long for a new owner (Kafka's minimum is 6 s). */
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
  /** Partitions whose batches are handled at the same time (each partition stays in order). */
  concurrency?: number;
}

/** Most records one consume call takes; they are split into one batch per partition. */
const MAX_RECORDS = 5000;
/** How long one consume call waits for the first record. */
const POLL_MS = 250;
const REQUEST_TIMEOUT_MS = 10_000;
/** How long the consumer goes on through consume errors before it gives up (as the kafkajs adapter). */
const GIVE_UP_AFTER_MS = 10 * 60_000;

type Rebalance = { kind: 'assign' | 'revoke'; partitions: Rdkafka.Assignment[] };

/** One partition's records of a consume round, before they become a FetchedBatch. */
interface Taken {
  partition: number;
  records: KafkaRecord[];
}

/**
 * The node-rdkafka adapter of the batch consumer (batch-consumer.ts). librdkafka has no
 * "batch of a fetch": this adapter consumes up to MAX_RECORDS with consume(n), splits them per
 * partition and hands each partition's records over as one batch, `concurrency` partitions at a
 * time; the next consume call waits until every batch of the round is done, so the batches of a
 * partition come one after the other, in offset order.
 *
 * Positions: the adapter knows where each partition's next fetch starts (from the committed or
 * earliest offset at assignment, a seek, or the end of the previous batch) and reports it as
 * `fetchedOffset`, unless retention deleted records there meanwhile (then no `fetchedOffset`,
 * `firstOffset` is the first record's). After a batch: a `seek` moves the partition there; records not resolved are
 * fetched again (a seek back to the first unresolved one); otherwise the partition goes on
 * after `lastOffset`.
 *
 * Transactions: read_committed. librdkafka drops aborted records without telling and hands
 * transaction markers to nobody, but moves the consumer position past both. So `lastOffset`
 * is the position after the consume call minus one (trailing markers included), and a partition
 * whose position moved on without any record is reported through `onFilteredOut`, once the
 * marker that ends the aborted range was read. Unlike kafkajs, that report covers the whole
 * aborted range at once rather than one report per fetch.
 *
 * Rebalances (eager protocol) are applied between consume rounds; from the moment librdkafka
 * announces one, the batches in flight are no longer active, and librdkafka waits for them
 * before the group moves on. Heartbeats come from librdkafka's own thread: `heartbeat()` only
 * resolves. A round longer than max.poll.interval.ms (5 min) makes librdkafka leave the group.
 *
 * `commit` hands the offset to librdkafka and resolves: its answer would only come through the
 * consume loop, which waits for the batch that calls commit; a failed commit is logged.
 * node-rdkafka carries offsets as JS numbers, exact up to 2^53: the adapter turns them into
 * strings and bigints at once.
 */
export function createRdkafkaBatchConsumer(
  connection: KafkaConnection,
  settings: RdkafkaBatchConsumerSettings = {},
): BatchConsumer {
  let consumer: Rdkafka.KafkaConsumer | undefined;
  let offsetsClient: Promise<Rdkafka.Producer> | undefined;
  let stopping = false;
  let loopDone: Promise<void> = Promise.resolve();

  const watermarks = async (topic: string, partition: number) => {
    offsetsClient ??= (async () => {
      // A producer that never produces: watermark queries without a consumer's group or state.
      const client = new (loadRdkafka().Producer)(baseConfig(connection));
      logClientErrors(client, connection);
      await connect(client, connection);
      return client;
    })();
    // A failed connect (Kafka away) is tried again by the next call.
    const client = await offsetsClient.catch((e: unknown) => {
      offsetsClient = undefined;
      throw e;
    });
    return new Promise<Rdkafka.WatermarkOffsets>((resolve, reject) => {
      client.queryWatermarkOffsets(topic, partition, REQUEST_TIMEOUT_MS, (err, offsets) =>
        err
          ? reject(
              asRemoteError(`cannot read the offsets of ${topic}/${partition}`, err, { topic, partition }),
            )
          : resolve(offsets),
      );
    });
  };

  return {
    async start(options: BatchConsumerOptions) {
      const kafka = loadRdkafka();
      const { topic } = options;
      const rebalances: Rebalance[] = [];
      /** Bumped when librdkafka announces a rebalance: batches of an older generation are stale. */
      let generation = 0;
      let looping = false;
      /** The partitions of `topic` this member has, as applied. */
      let assigned: number[] = [];
      /** Where the next fetch of each partition starts, when the adapter knows it. */
      const next = new Map<number, bigint>();

      const c = new kafka.KafkaConsumer(
        {
          ...baseConfig(connection),
          'group.id': options.groupId,
          'enable.auto.commit': false,
          'enable.auto.offset.store': false,
          'isolation.level': 'read_committed',
          'allow.auto.create.topics': false,
          'session.timeout.ms': settings.sessionTimeoutMs ?? 10000,
          'heartbeat.interval.ms': 1000,
          'max.poll.interval.ms': 300_000,
          'max.partition.fetch.bytes': settings.maxBytesPerPartition ?? 4 * 1024 * 1024,
          'fetch.wait.max.ms': 250,
          // Memory: librdkafka pre-fetches up to 64 MB by default.
          'queued.max.messages.kbytes': 32 * 1024,
          // Eager protocol: a revoke takes all partitions, then an assign hands out the new set.
          'partition.assignment.strategy': 'range,roundrobin',
          offset_commit_cb: true,
          rebalance_cb: (err: Rdkafka.LibrdKafkaError | undefined, partitions: Rdkafka.Assignment[]) => {
            generation++;
            rebalances.push({
              kind: err?.code === RdkafkaCode.ASSIGN_PARTITIONS ? 'assign' : 'revoke',
              partitions,
            });
            // While the loop runs it applies them between rounds; otherwise (stopping) at once.
            if (!looping) applyRebalancesNow();
          },
        },
        // Where a partition without a committed offset starts, as kafkajs's fromBeginning: true.
        { 'auto.offset.reset': 'earliest' },
      );
      consumer = c;
      const log = logClientErrors(c, connection);
      c.on('offset.commit', (err, offsets) => {
        if (err) log?.debug({ err, offsets }, 'Kafka offset commit failed');
      });

      /** Unassigns or assigns as librdkafka asked, without looking anything up (not looping any more). */
      const applyRebalancesNow = () => {
        for (const r of rebalances.splice(0)) {
          try {
            if (r.kind === 'assign') c.assign(r.partitions);
            else c.unassign();
          } catch (e) {
            log?.debug({ err: e }, 'rebalance not applied (not connected)');
          }
        }
      };

      const committedOffsets = (partitions: Rdkafka.TopicPartition[]) =>
        new Promise<Rdkafka.TopicPartitionOffset[]>((resolve, reject) =>
          c.committed(partitions, REQUEST_TIMEOUT_MS, (err, offsets) =>
            err ? reject(asError(err)) : resolve(offsets),
          ),
        );

      /**
       * Assigns each partition at an offset the adapter knows (its committed offset, else the
       * earliest one), so that the first batch can say where its fetch started. When the lookup
       * fails, librdkafka finds the start itself and the first batch has no `fetchedOffset`.
       */
      const assign = async (partitions: Rdkafka.Assignment[]) => {
        const ours = partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
        let starts: Rdkafka.TopicPartitionOffset[] | undefined;
        try {
          const committed = await committedOffsets(ours);
          starts = await Promise.all(
            committed.map(async (p) =>
              p.offset >= 0 ? p : { ...p, offset: (await watermarks(p.topic, p.partition)).lowOffset },
            ),
          );
        } catch (e) {
          log?.warn({ err: e }, 'cannot read the committed offsets; librdkafka picks the start');
        }
        c.assign(starts ?? ours);
        next.clear();
        for (const s of starts ?? []) next.set(s.partition, BigInt(s.offset));
        assigned = ours.filter((p) => p.topic === topic).map((p) => p.partition);
        options.onAssignment([...assigned]);
      };

      const applyRebalances = async () => {
        while (rebalances.length > 0) {
          const r = rebalances.shift()!;
          if (r.kind === 'revoke') {
            c.unassign();
            assigned = [];
            next.clear();
          } else await assign(r.partitions);
        }
      };

      /** Moves a partition's next fetch; a partition that went to another member meanwhile is left alone. */
      const seek = async (partition: number, offset: bigint) => {
        try {
          await new Promise<void>((resolve, reject) =>
            c.seek({ topic, partition, offset: Number(offset) }, 5000, (err) =>
              err ? reject(asError(err)) : resolve(),
            ),
          );
          next.set(partition, offset);
        } catch (e) {
          next.delete(partition);
          log?.debug({ err: e, partition, offset: String(offset) }, 'seek not done');
        }
      };

      /** The consumer position of each partition (after the records and markers consumed so far). */
      const positions = (): Map<number, bigint> => {
        const result = new Map<number, bigint>();
        if (assigned.length === 0) return result;
        for (const p of c.position(assigned.map((partition) => ({ topic, partition }))))
          if (p.offset >= 0) result.set(p.partition, BigInt(p.offset));
        return result;
      };

      /**
       * Where this partition's fetch started. Records missing before the first one are aborted
       * records and markers, or records that retention deleted meanwhile (librdkafka then starts
       * again at the earliest offset without telling): those are not the fetch the caller asked
       * for, so the batch does not claim to start where the caller stands (kafkajs's batch does
       * not either: it reports the offset it fetched again from).
       */
      const fetchStart = async (partition: number, firstRecord: bigint) => {
        const start = next.get(partition);
        if (start === undefined || firstRecord <= start) return start;
        const low = await watermarks(topic, partition).then(
          (w) => BigInt(w.lowOffset),
          () => undefined,
        );
        if (low === undefined || low <= start) return start;
        log?.warn(
          { topic, partition, expected: String(start), low: String(low) },
          'records deleted before they were consumed (retention): fetching on from the earliest offset',
        );
        return undefined;
      };

      /** Hands one partition's records over as a batch, then moves its position as the caller said. */
      const runBatch = async (taken: Taken, position: bigint | undefined) => {
        const { partition, records } = taken;
        const batchGeneration = generation;
        const start = await fetchStart(partition, BigInt(records[0]!.offset));
        const lastRecord = BigInt(records.at(-1)!.offset);
        const lastOffset = position !== undefined && position - 1n > lastRecord ? position - 1n : lastRecord;
        const fetched: FetchedBatch = {
          topic,
          partition,
          fetchedOffset: start?.toString(),
          firstOffset: (start ?? BigInt(records[0]!.offset)).toString(),
          lastOffset: lastOffset.toString(),
          records,
        };
        let resolved: bigint | undefined;
        let seekTo: bigint | undefined;
        const control: BatchControl = {
          resolveOffset(offset) {
            const value = BigInt(offset);
            if (resolved === undefined || value > resolved) resolved = value;
          },
          // librdkafka heartbeats from its own thread.
          heartbeat: () => Promise.resolve(),
          seek(offset) {
            seekTo = offset;
          },
          isActive: () => !stopping && batchGeneration === generation && seekTo === undefined,
        };
        try {
          await options.onBatch(fetched, control);
        } catch (e) {
          options.onCrash(e);
        }
        // A rebalance came: the new assignment says where each partition starts.
        if (batchGeneration !== generation) return;
        if (seekTo !== undefined) return seek(partition, seekTo);
        if (resolved === undefined || resolved < lastRecord) {
          // Not all resolved: the rest is fetched again.
          const from = resolved !== undefined ? resolved + 1n : (start ?? BigInt(records[0]!.offset));
          return seek(partition, from);
        }
        next.set(partition, lastOffset + 1n);
      };

      /** Runs the round's batches, at most `concurrency` partitions at a time. */
      const runRound = async (round: Taken[], at: Map<number, bigint>) => {
        const queue = [...round];
        const worker = async () => {
          for (let t = queue.shift(); t; t = queue.shift()) await runBatch(t, at.get(t.partition));
        };
        await Promise.all(Array.from({ length: Math.max(1, settings.concurrency ?? 1) }, worker));
      };

      /** Partitions whose position moved on without a record: only aborted records and markers were there. */
      const reportFilteredOut = (at: Map<number, bigint>, withRecords: Set<number>) => {
        for (const partition of assigned) {
          const from = next.get(partition);
          const position = at.get(partition);
          if (withRecords.has(partition) || from === undefined || position === undefined || position <= from)
            continue;
          next.set(partition, position);
          options.onFilteredOut?.(partition, from.toString(), (position - 1n).toString());
        }
      };

      const loop = async () => {
        let failingSince: number | undefined;
        looping = true;
        try {
          while (!stopping) {
            await applyRebalances();
            let messages: Rdkafka.Message[];
            try {
              messages = await consumeBatch(c, MAX_RECORDS, POLL_MS);
              failingSince = undefined;
            } catch (e) {
              failingSince ??= Date.now();
              if (isFatal(e) || Date.now() - failingSince > GIVE_UP_AFTER_MS) throw e;
              // Transport errors, a coordinator moving: librdkafka recovers by itself.
              log?.warn({ err: e }, 'consume failed; retrying');
              await sleep(500);
              continue;
            }
            // Rebalances announced during the consume call: these records may not be ours any more.
            if (rebalances.length > 0) continue;
            const byPartition = new Map<number, Taken>();
            for (const m of messages) {
              const expected = next.get(m.partition);
              if (m.topic !== topic || !assigned.includes(m.partition)) continue;
              if (expected !== undefined && BigInt(m.offset) < expected) continue;
              let taken = byPartition.get(m.partition);
              if (!taken) byPartition.set(m.partition, (taken = { partition: m.partition, records: [] }));
              taken.records.push(toKafkaRecord(m));
            }
            const at = positions();
            reportFilteredOut(at, new Set(byPartition.keys()));
            if (byPartition.size > 0) await runRound([...byPartition.values()], at);
          }
        } finally {
          looping = false;
          applyRebalancesNow();
        }
      };

      try {
        await connect(c, connection);
        c.subscribe([topic]);
      } catch (e) {
        await disconnect(c);
        throw e instanceof RemoteError ? e : asRemoteError(`cannot consume ${topic}`, e, { topic });
      }
      loopDone = loop().catch((e: unknown) => {
        if (stopping) return;
        stopping = true;
        options.onCrash(asRemoteError(`the node-rdkafka consumer of ${topic} failed`, e, { topic }));
      });
    },

    async partitionOffsets(topic, partition) {
      const offsets = await watermarks(topic, partition);
      return { low: BigInt(offsets.lowOffset), high: BigInt(offsets.highOffset) };
    },

    commit(topic, partition, next) {
      try {
        // Asynchronous in librdkafka: the answer comes through the consume loop (offset.commit).
        consumer?.commit({ topic, partition, offset: Number(next) });
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(asRemoteError(`cannot commit ${topic}/${partition}`, e, { topic, partition }));
      }
    },

    async stop() {
      stopping = true;
      await loopDone;
      if (consumer) {
        try {
          consumer.unsubscribe();
        } catch {
          // not connected
        }
        await disconnect(consumer);
      }
      if (offsetsClient) {
        const client = await offsetsClient.catch(() => undefined);
        if (client) await disconnect(client);
      }
    },
  };
}
