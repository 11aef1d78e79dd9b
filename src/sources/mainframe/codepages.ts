// EBCDIC to Unicode for the code pages mainframe queues use. The tables are generated from
// glibc iconv (scripts/gen-codepages.ts) so the service needs no native module at run time.
import { CODE_PAGE_TABLES } from './codepages.generated.js';
import { CodePageError } from './errors.js';

/** The EBCDIC code pages supported: 037 (US/Canada), 500 (international), 1047 (Unix/Open Systems), 1140 (037 + euro). */
export type Ccsid = keyof typeof CODE_PAGE_TABLES;

export const SUPPORTED_CCSIDS: readonly Ccsid[] = [37, 500, 1047, 1140];

/** The EBCDIC space, 0x40 in every supported code page; text fields are padded with it. */
export const EBCDIC_SPACE = 0x40;

/** Decodes `bytes[start, end)`; the record decoder calls it per field without slicing the buffer. */
export type EbcdicRangeDecoder = (bytes: Uint8Array, start: number, end: number) => string;

export function isSupportedCcsid(value: unknown): value is Ccsid {
  return typeof value === 'number' && Object.hasOwn(CODE_PAGE_TABLES, value);
}

// One single-character string per byte: appending those was as fast as the native
// latin1/utf16 paths for field-sized strings, and it is the simplest (measured, Node 20).
const charTables = new Map<Ccsid, readonly string[]>();

function charTable(ccsid: Ccsid): readonly string[] {
  let table = charTables.get(ccsid);
  if (table === undefined) {
    if (!isSupportedCcsid(ccsid)) throw new CodePageError(ccsid, SUPPORTED_CCSIDS);
    table = [...CODE_PAGE_TABLES[ccsid]];
    charTables.set(ccsid, table);
  }
  return table;
}

/** Returns a decoder of byte ranges in `ccsid`; throws CodePageError for an unsupported CCSID. */
export function ebcdicRangeDecoder(ccsid: Ccsid): EbcdicRangeDecoder {
  const table = charTable(ccsid);
  return (bytes, start, end) => {
    let text = '';
    // Every byte has an entry (the table has 256), so the fallback never applies.
    for (let i = start; i < end; i++) text += table[bytes[i] ?? 0] ?? '';
    return text;
  };
}

/** Decodes EBCDIC bytes in `ccsid` to a string, one character per byte. */
export function decodeEbcdic(bytes: Uint8Array, ccsid: Ccsid): string {
  return ebcdicRangeDecoder(ccsid)(bytes, 0, bytes.length);
}
