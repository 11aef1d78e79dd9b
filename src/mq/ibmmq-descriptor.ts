/**
 * The MQ message descriptor (MQMD) and the port's messages, both ways.
 */
import { QueueTransportError } from './errors.js';
import { contextOf, type Place } from './ibmmq-failures.js';
import type { MqiMd, MqiSurface } from './ibmmq-mqi.js';
import type { QueueMessage } from './port.js';

/** MsgId and CorrelId are 24 bytes (MQ_MSG_ID_LENGTH, MQ_CORREL_ID_LENGTH). */
const ID_BYTES = 24;

/** PutDate "YYYYMMDD" and PutTime "HHMMSSTH" (GMT) as a Date; null when they do not parse. */
export function putDateTime(putDate: string | null, putTime: string | null): Date | null {
  const date = /^(\d{4})(\d{2})(\d{2})$/.exec((putDate ?? '').trim());
  const time = /^(\d{2})(\d{2})(\d{2})(\d{2})$/.exec((putTime ?? '').trim());
  if (date === null || time === null) return null;
  const [, y, mo, d] = date.map(Number) as [number, number, number, number];
  const [, h, mi, s, hundredths] = time.map(Number) as [number, number, number, number, number];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s, hundredths * 10));
  // Date.UTC rolls 20260231 over to March; a date the calendar lacks is no put time.
  if (at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return at;
}

function flags(value: number | number[]): number {
  return typeof value === 'number' ? value : value.reduce((all, flag) => all | flag, 0);
}

function isAllZero(buffer: Buffer): boolean {
  return buffer.every((byte) => byte === 0);
}

/**
 * A descriptor and body as the port's message. Every Buffer is copied: the package reuses them.
 * A put date and time that do not parse (an application that set its own context with blanks)
 * give the time of the get rather than an invalid Date or the epoch, which Kafka's time-based
 * retention would delete at once.
 */
export function toQueueMessage(
  mqi: MqiSurface,
  md: MqiMd,
  body: Buffer,
  gotAt: Date = new Date(),
): QueueMessage {
  const msgFlags = flags(md.MsgFlags);
  const inGroup = (msgFlags & (mqi.MQC.MQMF_MSG_IN_GROUP | mqi.MQC.MQMF_LAST_MSG_IN_GROUP)) !== 0;
  return {
    messageId: Buffer.from(md.MsgId),
    correlationId: isAllZero(md.CorrelId) ? Buffer.alloc(0) : Buffer.from(md.CorrelId),
    groupId: inGroup ? Buffer.from(md.GroupId) : null,
    sequenceInGroup: inGroup ? md.MsgSeqNumber : null,
    backoutCount: md.BackoutCount,
    putTime: putDateTime(md.PutDate, md.PutTime) ?? gotAt,
    ccsid: md.CodedCharSetId,
    encoding: md.Encoding,
    format: (Buffer.isBuffer(md.Format) ? md.Format.toString('latin1') : (md.Format ?? '')).trim(),
    persistent: md.Persistence === mqi.MQC.MQPER_PERSISTENT,
    priority: md.Priority,
    putApplicationName: (md.PutApplName ?? '').trim(),
    userId: (md.UserIdentifier ?? '').trim(),
    body: Buffer.from(body),
  };
}

export function fixedId(id: Buffer, what: string, place: Place): Buffer {
  if (id.length > ID_BYTES) {
    throw new QueueTransportError(
      `IBM MQ ${what} has at most ${ID_BYTES} bytes, got ${id.length}`,
      contextOf(place),
      {
        retriable: false,
      },
    );
  }
  const padded = Buffer.alloc(ID_BYTES);
  id.copy(padded);
  return padded;
}
