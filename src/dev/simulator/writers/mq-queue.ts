import type { StocklineConfig } from '../../../config/schema.js';
import type { OutgoingQueueMessage, QueueTransport, QueueWriter } from '../../../mq/port.js';
import { createLogger } from '../../../observability/logger.js';
import { connectTransport } from '../../../replicator/transports.js';
import { whmoveEncoder, WHMOVE_CCSID } from '../mainframe/whmove.js';
import type { SourceWrite, WhmoveRecord } from '../writes.js';
import type { SourceWriter } from './port.js';

/** Messages per put: each put waits for the broker's confirms of all of them. */
const MESSAGES_PER_PUT = 1000;
/** MQMD PutApplName of the simulated mainframe program. */
export const WHMOVE_PUT_APPLICATION = 'stockline-simulate';

/** The queue the WHMOVE records go on, and how to reach it (targets.ts picks it from mq.queues). */
export interface MainframeQueueTarget {
  mq: Readonly<StocklineConfig['mq']>;
  queue: string;
}

/**
 * Mainframe WHMOVE records onto the warehouse queue, as the mainframe puts them: one persistent
 * message per EBCDIC record, with the MQMD message id the generator made, CCSID 037 and no
 * format (bytes). The MQ replicator mirrors the queue onto its raw topic. The queue is reached
 * as the replicator reaches it (src/replicator/transports.ts): on RabbitMQ both declare it with
 * the same arguments.
 *
 * Not all or nothing, unlike a database transaction: a put that fails may have put part of its
 * messages, and the retry (writers/retrying.ts) puts them again. A duplicate carries the same
 * message id, and the mainframe mapping identifies a change by its message id
 * (mappings/mainframe-whmove.yaml), so it maps to the same event and changes nothing.
 */
export class MqQueueWriter implements SourceWriter {
  readonly source = 'mainframe' as const;

  private constructor(
    private readonly transport: QueueTransport,
    private readonly writer: QueueWriter,
    private readonly encode: (record: WhmoveRecord) => Buffer,
  ) {}

  static async open(target: MainframeQueueTarget, mappingsDir: string): Promise<MqQueueWriter> {
    const encode = whmoveEncoder(mappingsDir);
    const transport = await connectTransport(target.mq, createLogger({ level: 'silent' }));
    try {
      return new MqQueueWriter(transport, await transport.writer({ queue: target.queue }), encode);
    } catch (e) {
      await transport.close().catch(() => undefined);
      throw e;
    }
  }

  async write(writes: readonly SourceWrite[]): Promise<void> {
    const messages = writes.map((w): OutgoingQueueMessage => {
      if (w.kind !== 'whmove') throw new Error(`the mainframe queue does not take ${w.kind} writes`);
      return {
        body: this.encode(w.record),
        messageId: Buffer.from(w.msgId, 'hex'),
        persistent: true,
        ccsid: WHMOVE_CCSID,
        format: '',
        putApplicationName: WHMOVE_PUT_APPLICATION,
      };
    });
    for (let i = 0; i < messages.length; i += MESSAGES_PER_PUT)
      await this.writer.put(messages.slice(i, i + MESSAGES_PER_PUT));
  }

  async close(): Promise<void> {
    try {
      await this.writer.close();
    } finally {
      await this.transport.close();
    }
  }
}
