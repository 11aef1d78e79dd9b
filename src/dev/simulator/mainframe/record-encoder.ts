// Writes fixed-width mainframe records: the inverse of src/sources/mainframe/record.ts. The
// simulator needs it to put WHMOVE records on the mainframe queue exactly as the mainframe would
// (EBCDIC text, zoned and packed decimal). Built from the decoder's own layouts and code page
// tables, and tested by round-tripping through the decoder, so the two cannot drift apart.
import { CODE_PAGE_TABLES } from '../../../sources/mainframe/codepages.generated.js';
import {
  EBCDIC_SPACE,
  SUPPORTED_CCSIDS,
  isSupportedCcsid,
  type Ccsid,
} from '../../../sources/mainframe/codepages.js';
import { CodePageError } from '../../../sources/mainframe/errors.js';
import type { LayoutField, RecordLayout } from '../../../sources/mainframe/layout.js';
import { RecordEncodeError } from '../errors.js';

/** Field name -> value, in the decoder's notation: text, or exact decimal strings ("-2.000"). */
export type RecordFields = Readonly<Record<string, string>>;

export interface RecordEncoder {
  readonly layout: RecordLayout;
  readonly ccsid: Ccsid;
  /** Every data field of the layout needs a value; FILLER is written as EBCDIC spaces. */
  encode(values: RecordFields): Buffer;
}

type FieldEncoder = (record: Buffer, value: string) => void;

// IBM conventions: C is the preferred positive sign, D negative, F "unsigned".
const PACKED_POSITIVE = 0xc;
const PACKED_NEGATIVE = 0xd;
const PACKED_UNSIGNED = 0xf;
const ZONE_DIGIT = 0xf0;
const ZONE_POSITIVE = 0xc0;
const ZONE_NEGATIVE = 0xd0;
const EBCDIC_PLUS = 0x4e;
const EBCDIC_MINUS = 0x60;

const byteTables = new Map<Ccsid, ReadonlyMap<string, number>>();

/** Character -> byte for a code page: the decoder's table read backwards. */
function byteTable(ccsid: Ccsid): ReadonlyMap<string, number> {
  let table = byteTables.get(ccsid);
  if (table === undefined) {
    const map = new Map<string, number>();
    [...CODE_PAGE_TABLES[ccsid]].forEach((char, byte) => {
      // The supported code pages are one-to-one; should one ever map two bytes to one
      // character, the lower byte is the canonical one.
      if (!map.has(char)) map.set(char, byte);
    });
    table = map;
    byteTables.set(ccsid, table);
  }
  return table;
}

/** Encodes text in `ccsid`; throws for a character the code page does not have. */
export function encodeEbcdic(text: string, ccsid: Ccsid): Buffer {
  if (!isSupportedCcsid(ccsid)) throw new CodePageError(ccsid, SUPPORTED_CCSIDS);
  const table = byteTable(ccsid);
  return Buffer.from(
    [...text].map((char) => {
      const byte = table.get(char);
      if (byte === undefined)
        throw new RecordEncodeError(`character ${JSON.stringify(char)} is not in CCSID ${ccsid}`, { ccsid });
      return byte;
    }),
  );
}

function refuse(field: LayoutField, value: string, problem: string): RecordEncodeError {
  return new RecordEncodeError(
    `${field.name} (${field.kind}, ${field.length} bytes at offset ${field.offset}): ${JSON.stringify(value)} ${problem}`,
    { field: field.name, fieldOffset: field.offset, value },
  );
}

/**
 * A decimal string as exactly `field.digits` digits with the implied decimal point at
 * `field.scale`. Extra fraction digits are accepted only when they are zeros: the record must
 * carry the value exactly, never a rounded one.
 */
function scaledDigits(field: LayoutField, value: string): { digits: string; negative: boolean } {
  const m = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m || (m[2] ?? '') + (m[3] ?? '') === '') throw refuse(field, value, 'is not a decimal number');
  const fraction = m[3] ?? '';
  if (/[1-9]/.test(fraction.slice(field.scale)))
    throw refuse(field, value, `has more than ${field.scale} decimal place(s)`);
  const significant = `${m[2] ?? ''}${fraction.slice(0, field.scale).padEnd(field.scale, '0')}`.replace(
    /^0+/,
    '',
  );
  if (significant.length > field.digits) throw refuse(field, value, `needs more than ${field.digits} digits`);
  const negative = m[1] === '-' && significant !== '';
  if (negative && !field.signed) throw refuse(field, value, 'is negative; the field is unsigned');
  return { digits: significant.padStart(field.digits, '0'), negative };
}

function textEncoder(field: LayoutField, ccsid: Ccsid): FieldEncoder {
  return (record, value) => {
    let bytes: Buffer;
    try {
      bytes = encodeEbcdic(value, ccsid);
    } catch (e) {
      throw refuse(field, value, (e as Error).message);
    }
    if (bytes.length > field.length) throw refuse(field, value, `is longer than ${field.length} characters`);
    // COBOL pads text with spaces; the record starts out as spaces, so only the text is copied.
    bytes.copy(record, field.offset);
  };
}

function zonedEncoder(field: LayoutField): FieldEncoder {
  const separate = field.sign?.separate === true;
  const leading = field.sign?.position === 'leading';
  const firstDigit = separate && leading ? field.offset + 1 : field.offset;
  return (record, value) => {
    const { digits, negative } = scaledDigits(field, value);
    for (let i = 0; i < digits.length; i++) record[firstDigit + i] = ZONE_DIGIT | Number(digits[i]);
    if (!field.signed) return;
    if (separate) {
      record[leading ? field.offset : field.offset + field.length - 1] = negative
        ? EBCDIC_MINUS
        : EBCDIC_PLUS;
      return;
    }
    // The overpunch: the sign replaces the zone of the first or last digit.
    const at = leading ? firstDigit : firstDigit + digits.length - 1;
    record[at] = (negative ? ZONE_NEGATIVE : ZONE_POSITIVE) | ((record[at] ?? 0) & 0x0f);
  };
}

function packedEncoder(field: LayoutField): FieldEncoder {
  // An even digit count leaves one spare high-order nibble, which must be 0.
  const spare = 2 * field.length - 1 - field.digits;
  return (record, value) => {
    const { digits, negative } = scaledDigits(field, value);
    const nibbles = `${'0'.repeat(spare)}${digits}`;
    const sign = !field.signed ? PACKED_UNSIGNED : negative ? PACKED_NEGATIVE : PACKED_POSITIVE;
    for (let i = 0; i < field.length; i++) {
      const high = Number(nibbles[2 * i]);
      const low = i === field.length - 1 ? sign : Number(nibbles[2 * i + 1]);
      record[field.offset + i] = (high << 4) | low;
    }
  };
}

function binaryEncoder(field: LayoutField): FieldEncoder {
  const bits = BigInt(field.length * 8);
  const min = field.signed ? -(1n << (bits - 1n)) : 0n;
  const max = field.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  return (record, value) => {
    const { digits, negative } = scaledDigits(field, value);
    const n = negative ? -BigInt(digits) : BigInt(digits);
    if (n < min || n > max) throw refuse(field, value, `does not fit in ${field.length} bytes`);
    // Two's complement, big-endian, whatever the length.
    let rest = BigInt.asUintN(Number(bits), n);
    for (let i = field.length - 1; i >= 0; i--) {
      record[field.offset + i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
  };
}

function compileFieldEncoder(field: LayoutField, ccsid: Ccsid): FieldEncoder {
  switch (field.kind) {
    case 'text':
      return textEncoder(field, ccsid);
    case 'zoned':
      return zonedEncoder(field);
    case 'packed':
      return packedEncoder(field);
    case 'binary':
      return binaryEncoder(field);
  }
}

/** Compiles `layout` for records in `ccsid`; throws CodePageError for an unsupported CCSID. */
export function compileRecordEncoder(layout: RecordLayout, ccsid: Ccsid): RecordEncoder {
  if (!isSupportedCcsid(ccsid)) throw new CodePageError(ccsid, SUPPORTED_CCSIDS);
  const fields = layout.fields.map((field) => ({ field, encode: compileFieldEncoder(field, ccsid) }));
  return {
    layout,
    ccsid,
    encode(values) {
      const record = Buffer.alloc(layout.length, EBCDIC_SPACE);
      for (const { field, encode } of fields) {
        const value = values[field.name];
        if (value === undefined)
          throw new RecordEncodeError(`${field.name}: no value given for layout ${layout.name}`, {
            field: field.name,
            layout: layout.name,
          });
        encode(record, value);
      }
      return record;
    },
  };
}
