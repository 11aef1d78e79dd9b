// The headers of a replicated record: the contract between the MQ replicator, which writes them
// (src/replicator/records.ts), and the mappings that read its raw topics (`$mqIdentity`).
/**
 * The headers of every replicated record (and of every dead letter), named after the MQMD fields.
 * A field the message or its transport lacks (no group, a transport without CCSID) has no header.
 *
 * | header             | value                                                            |
 * | ------------------ | ---------------------------------------------------------------- |
 * | `mq.qmgr`          | queue manager (mq.queueManager)                                  |
 * | `mq.queue`         | queue                                                            |
 * | `mq.msgId`         | MsgId, hex                                                       |
 * | `mq.correlId`      | CorrelId, hex ('' when none)                                     |
 * | `mq.groupId`       | GroupId, hex (messages of a group only)                          |
 * | `mq.msgSeqNumber`  | MsgSeqNumber in the group (messages of a group only)             |
 * | `mq.backoutCount`  | BackoutCount: earlier deliveries not committed                   |
 * | `mq.putDateTime`   | PutDate and PutTime, ISO 8601 GMT (2026-11-27T17:36:29.120Z)     |
 * | `mq.ccsid`         | CodedCharSetId of the body                                       |
 * | `mq.encoding`      | Encoding of the body's numbers                                   |
 * | `mq.format`        | Format (MQSTR, or blank for bytes)                               |
 * | `mq.persistence`   | `persistent` or `not-persistent`                                 |
 * | `mq.priority`      | Priority                                                         |
 * | `mq.putApplName`   | PutApplName                                                      |
 * | `mq.userId`        | UserIdentifier                                                   |
 *
 * (queue manager, queue, MsgId) identifies a message: `$mqIdentity(headers)` in a mapping
 * (src/mapping/time-functions.ts) makes the change identity of it. The Kafka record's
 * timestamp is the put time. Dead letters add `stockline.dlq.reason`
 * (`backout-threshold` or `too-large`) and `stockline.dlq.error` (a sentence).
 */
export const MQ_HEADERS = {
  queueManager: 'mq.qmgr',
  queue: 'mq.queue',
  messageId: 'mq.msgId',
  correlationId: 'mq.correlId',
  groupId: 'mq.groupId',
  sequenceInGroup: 'mq.msgSeqNumber',
  backoutCount: 'mq.backoutCount',
  putDateTime: 'mq.putDateTime',
  ccsid: 'mq.ccsid',
  encoding: 'mq.encoding',
  format: 'mq.format',
  persistence: 'mq.persistence',
  priority: 'mq.priority',
  putApplicationName: 'mq.putApplName',
  userId: 'mq.userId',
} as const;
