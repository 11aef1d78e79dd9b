import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCopybook } from '../../../sources/mainframe/copybook.js';
import type { WhmoveRecord } from '../writes.js';
import { compileRecordEncoder, type RecordEncoder } from './record-encoder.js';

/** The raw topic the mainframe-whmove mapping reads, onto which the MQ replicator mirrors the queue. */
export const WHMOVE_TOPIC = 'mq.WH.STOCK.MOVES';
/** The queue's code page (mappings/mainframe-whmove.yaml). */
export const WHMOVE_CCSID = 37;

/** The encoder for WHMOVE records, from the same copybook the mapping decodes them with. */
export function whmoveEncoder(mappingsDir: string): (record: WhmoveRecord) => Buffer {
  const file = path.join(mappingsDir, 'copybooks', 'WHMOVE.cpy');
  const layout = parseCopybook(readFileSync(file, 'utf8'), { file });
  const encoder: RecordEncoder = compileRecordEncoder(layout, WHMOVE_CCSID);
  return (record) => encoder.encode({ ...record });
}
