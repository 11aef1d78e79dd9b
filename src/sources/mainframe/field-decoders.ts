// One decoder per field kind. Each is built once per layout field, with the field's position
// and shape captured, so decoding a record only reads bytes: no parsing, no lookups by name.
import { ebcdicRangeDecoder, EBCDIC_SPACE, type Ccsid } from './codepages.js';
import { formatDecimal } from './decimal.js';
import { LayoutError, RecordDecodeError, hexLiteral } from './errors.js';
import type { LayoutField } from './layout.js';

/** Reads one field's value out of a whole record whose length has been checked. */
export type FieldDecoder = (record: Buffer) => string;

// Sign nibbles as IBM hardware reads them: C, A, E, F positive (F = unsigned), D and B negative.
const POSITIVE_SIGNS = new Set([0xc, 0xa, 0xe, 0xf]);
const NEGATIVE_SIGNS = new Set([0xd, 0xb]);
const ZONED_DIGIT_ZONE = 0xf;
const EBCDIC_PLUS = 0x4e;
const EBCDIC_MINUS = 0x60;

// '0'..'9' and the two digits of each packed byte (0x00-0x99); undefined where a nibble is not a digit.
const DIGITS = '0123456789';
const PACKED_PAIRS: (string | undefined)[] = Array.from({ length: 256 }, (_, byte) =>
  byte >> 4 <= 9 && (byte & 0xf) <= 9 ? `${byte >> 4}${byte & 0xf}` : undefined,
);

export function compileFieldDecoder(field: LayoutField, ccsid: Ccsid): FieldDecoder {
  switch (field.kind) {
    case 'text':
      return textDecoder(field, ccsid);
    case 'zoned':
      return zonedDecoder(field);
    case 'packed':
      return packedDecoder(field);
    case 'binary':
      return binaryDecoder(field);
  }
}

/** The error for a field whose bytes are not valid for its kind: names the field, offset and bytes. */
function invalidField(field: LayoutField, record: Buffer, problem: string): RecordDecodeError {
  const bytes = hexLiteral(record.subarray(field.offset, field.offset + field.length));
  return new RecordDecodeError(
    `${field.name} at offset ${field.offset} (${field.kind}, ${field.length} bytes): ${problem}; bytes ${bytes}`,
    { field: field.name, fieldOffset: field.offset, fieldLength: field.length, bytes },
  );
}

/** Text in the record's code page, trailing EBCDIC spaces dropped (COBOL pads text with them). */
function textDecoder(field: LayoutField, ccsid: Ccsid): FieldDecoder {
  const decode = ebcdicRangeDecoder(ccsid);
  const start = field.offset;
  const end = field.offset + field.length;
  return (record) => {
    let last = end;
    while (last > start && record[last - 1] === EBCDIC_SPACE) last--;
    return decode(record, start, last);
  };
}

/**
 * DISPLAY numerics: one byte per digit, zone nibble F and the digit in the low nibble. A signed
 * field carries its sign in the zone of the last (or first) digit, the "overpunch": 0xD0 is a
 * negative 0 (shown as '}' in CCSID 037), or, with SIGN SEPARATE, in its own '+'/'-' byte.
 * Unsigned fields keep their leading zeros: PIC 9(n) DISPLAY usually holds a code or a sequence
 * number, whose width is part of the value, not an amount.
 */
function zonedDecoder(field: LayoutField): FieldDecoder {
  const { offset, length, scale, signed, sign } = field;
  const separate = sign?.separate === true;
  const leading = sign?.position === 'leading';
  const firstDigit = separate && leading ? offset + 1 : offset;
  const endDigits = separate && !leading ? offset + length - 1 : offset + length;
  // The digit byte whose zone carries the sign; -1 when no zone does.
  const overpunched = separate ? -1 : leading ? offset : offset + length - 1;
  const signByte = !separate ? -1 : leading ? offset : offset + length - 1;
  return (record) => {
    let digits = '';
    let negative = false;
    for (let i = firstDigit; i < endDigits; i++) {
      const byte = record[i] ?? 0;
      const zone = byte >> 4;
      const digit = byte & 0xf;
      if (digit > 9 || (zone !== ZONED_DIGIT_ZONE && i !== overpunched)) {
        throw invalidField(field, record, `byte ${i - offset} is not a zoned digit`);
      }
      if (zone !== ZONED_DIGIT_ZONE) {
        if (NEGATIVE_SIGNS.has(zone)) {
          if (!signed) throw invalidField(field, record, 'negative sign in an unsigned field');
          negative = true;
        } else if (!POSITIVE_SIGNS.has(zone)) {
          throw invalidField(
            field,
            record,
            `zone ${zone.toString(16).toUpperCase()} of byte ${i - offset} is not a sign`,
          );
        }
      }
      digits += DIGITS[digit] ?? '';
    }
    if (signByte >= 0) {
      const byte = record[signByte];
      if (byte === EBCDIC_MINUS) negative = true;
      else if (byte !== EBCDIC_PLUS) {
        throw invalidField(field, record, "the separate sign is neither '+' nor '-'");
      }
    }
    return formatDecimal(digits, scale, negative, !signed);
  };
}

/**
 * COMP-3: two digits a byte, the last nibble is the sign. An even digit count leaves a spare
 * high-order nibble, which must be 0: anything else means the layout does not fit the data.
 */
function packedDecoder(field: LayoutField): FieldDecoder {
  const { offset, length, digits: declared, scale, signed } = field;
  const last = offset + length - 1;
  const spareNibbles = 2 * length - 1 - declared;
  return (record) => {
    let digits = '';
    for (let i = offset; i < last; i++) {
      const pair = PACKED_PAIRS[record[i] ?? 0];
      if (pair === undefined) {
        throw invalidField(field, record, `byte ${i - offset} holds a nibble that is not a digit`);
      }
      digits += pair;
    }
    const lastByte = record[last] ?? 0;
    const lastDigit = lastByte >> 4;
    const signNibble = lastByte & 0xf;
    if (lastDigit > 9) {
      throw invalidField(field, record, `byte ${length - 1} holds a nibble that is not a digit`);
    }
    digits += DIGITS[lastDigit] ?? '';
    let negative = false;
    if (NEGATIVE_SIGNS.has(signNibble)) {
      if (!signed) throw invalidField(field, record, 'negative sign in an unsigned field');
      negative = true;
    } else if (!POSITIVE_SIGNS.has(signNibble)) {
      throw invalidField(field, record, `sign nibble ${signNibble.toString(16).toUpperCase()} is not a sign`);
    }
    if (spareNibbles > 0) {
      for (let n = 0; n < spareNibbles; n++) {
        if (digits.charCodeAt(n) !== 0x30) {
          throw invalidField(field, record, 'the spare high-order nibble is not 0');
        }
      }
      digits = digits.slice(spareNibbles);
    }
    return formatDecimal(digits, scale, negative, false);
  };
}

/** COMP / COMP-4 / COMP-5 / BINARY: a big-endian integer, two's complement when signed. */
function binaryDecoder(field: LayoutField): FieldDecoder {
  const { offset, length, scale, signed } = field;
  const read = binaryReader(length, signed);
  if (read === undefined) {
    // Layout builders only make 2-, 4- and 8-byte binary fields; this guards hand-made layouts.
    throw new LayoutError(`${field.name}: a binary field is 2, 4 or 8 bytes, not ${length}`, {
      field: field.name,
      fieldOffset: offset,
    });
  }
  return (record) => {
    const value = read(record, offset);
    const negative = value.startsWith('-');
    return formatDecimal(negative ? value.slice(1) : value, scale, negative, false);
  };
}

function binaryReader(length: number, signed: boolean): ((record: Buffer, at: number) => string) | undefined {
  switch (length) {
    case 2:
      return signed ? (r, at) => String(r.readInt16BE(at)) : (r, at) => String(r.readUInt16BE(at));
    case 4:
      return signed ? (r, at) => String(r.readInt32BE(at)) : (r, at) => String(r.readUInt32BE(at));
    case 8:
      return signed
        ? (r, at) => r.readBigInt64BE(at).toString()
        : (r, at) => r.readBigUInt64BE(at).toString();
    default:
      return undefined;
  }
}
