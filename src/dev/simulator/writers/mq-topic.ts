import { createProducer } from '../../../kafka/clients.js';
import type { KafkaConnection, KafkaProducer, OutgoingRecord } from '../../../kafka/port.js';
import { whmoveEncoder, WHMOVE_TOPIC } from '../mainframe/whmove.js';
import type { SourceWrite, WhmoveRecord } from '../writes.js';
import type { SourceWriter } from './port.js';

/** Records per send: 87-byte records, well under the broker's 1 MB batch limit. */
const MESSAGES_PER_SEND = 5000;

/**
 * Mainframe WHMOVE records onto the raw MQ topic, as the MQ replicator will put them there:
 * the EBCDIC record as the value, the MQMD message id as the `mq.msgId` header. Keyed by
 * warehouse so that each warehouse's records keep their order on any number of partitions.
 */
export class MqTopicWriter implements SourceWriter {
  readonly source = 'mainframe' as const;

  private constructor(
    private readonly producer: KafkaProducer,
    private readonly encode: (record: WhmoveRecord) => Buffer,
    private readonly topic: string,
  ) {}

  static async open(
    connection: KafkaConnection,
    mappingsDir: string,
    topic = WHMOVE_TOPIC,
  ): Promise<MqTopicWriter> {
    const encode = whmoveEncoder(mappingsDir);
    // The port's producer is idempotent and keys land on Java's partition (murmur2), so any client
    // finds a warehouse on the same partition. Retries without a count, waiting at most 30 s
    // between two (kafkajs's defaults besides the count); the simulator of kafkajs.
    const producer = await createProducer(
      { brokers: connection.brokers, client: 'kafkajs' },
      connection.clientId,
      { retry: { retries: Number.MAX_SAFE_INTEGER, initialMs: 300, maxMs: 30000 } },
    );
    return new MqTopicWriter(producer, encode, topic);
  }

  async write(writes: readonly SourceWrite[]): Promise<void> {
    const messages = writes.map((w): OutgoingRecord => {
      if (w.kind !== 'whmove') throw new Error(`the MQ topic does not take ${w.kind} writes`);
      return {
        topic: this.topic,
        key: w.record['WM-WAREHOUSE-ID'],
        value: this.encode(w.record),
        headers: { 'mq.msgId': w.msgId },
      };
    });
    for (let i = 0; i < messages.length; i += MESSAGES_PER_SEND)
      await this.producer.send(messages.slice(i, i + MESSAGES_PER_SEND));
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
