import { Partitioners, type Producer } from 'kafkajs';
import { connectOrExplain, kafkajsClient } from '../../../kafka/kafkajs-admin.js';
import type { KafkaConnection } from '../../../kafka/port.js';
import { whmoveEncoder, WHMOVE_TOPIC } from '../mainframe/whmove.js';
import type { SourceWrite, WhmoveRecord } from '../writes.js';
import type { SourceWriter } from './port.js';

/** Records per produce request: 87-byte records, well under the broker's 1 MB batch limit. */
const MESSAGES_PER_SEND = 5000;

/**
 * Mainframe WHMOVE records onto the raw MQ topic, as the MQ replicator will put them there:
 * the EBCDIC record as the value, the MQMD message id as the `mq.msgId` header. Keyed by
 * warehouse so that each warehouse's records keep their order on any number of partitions.
 */
export class MqTopicWriter implements SourceWriter {
  readonly source = 'mainframe' as const;

  private constructor(
    private readonly producer: Producer,
    private readonly encode: (record: WhmoveRecord) => Buffer,
    private readonly topic: string,
  ) {}

  static async open(
    connection: KafkaConnection,
    mappingsDir: string,
    topic = WHMOVE_TOPIC,
  ): Promise<MqTopicWriter> {
    const encode = whmoveEncoder(mappingsDir);
    const producer = kafkajsClient(connection).producer({
      // Java's partitioner (murmur2), so that any client finds a warehouse on the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Idempotent with one request in flight: a retry can neither duplicate nor reorder records.
      // kafkajs still gives up after its maxRetryTime (30 s), and the run then fails.
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: Number.MAX_SAFE_INTEGER },
    });
    await connectOrExplain(connection, () => producer.connect());
    return new MqTopicWriter(producer, encode, topic);
  }

  async write(writes: readonly SourceWrite[]): Promise<void> {
    const messages = writes.map((w) => {
      if (w.kind !== 'whmove') throw new Error(`the MQ topic does not take ${w.kind} writes`);
      return {
        key: w.record['WM-WAREHOUSE-ID'],
        value: this.encode(w.record),
        headers: { 'mq.msgId': w.msgId },
      };
    });
    for (let i = 0; i < messages.length; i += MESSAGES_PER_SEND)
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: messages.slice(i, i + MESSAGES_PER_SEND),
      });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
