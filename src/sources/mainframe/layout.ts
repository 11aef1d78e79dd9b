// The layout of a fixed-width record: where each field sits and how its bytes encode a value.
// Built from a COBOL copybook (copybook.ts) or from explicit offsets (explicit-layout.ts), and
// compiled into a decoder by record.ts.

/**
 * How a field's bytes encode its value:
 * - text: characters in the record's code page;
 * - zoned: DISPLAY numeric, one EBCDIC digit per byte, the sign in a zone nibble or a separate byte;
 * - packed: COMP-3 / PACKED-DECIMAL, two digits per byte, the sign in the last nibble;
 * - binary: COMP / COMP-4 / COMP-5 / BINARY, big-endian integer of 2, 4 or 8 bytes.
 */
export type FieldKind = 'text' | 'zoned' | 'packed' | 'binary';

/** Where a signed zoned field keeps its sign (COBOL SIGN clause); trailing overpunch by default. */
export interface ZonedSign {
  position: 'leading' | 'trailing';
  /** SIGN ... SEPARATE: the sign is its own '+' / '-' byte instead of a zone nibble. */
  separate: boolean;
}

export interface LayoutField {
  /** Data name; elements of an OCCURS table carry their subscripts: `ITEM-QTY(2)`. */
  readonly name: string;
  /** Byte offset from the start of the record, 0-based. */
  readonly offset: number;
  /** Bytes in the record. */
  readonly length: number;
  readonly kind: FieldKind;
  /** Decimal digits of a numeric field (the PIC 9s, integer and fraction); 0 for text. */
  readonly digits: number;
  /** Digits after the implied decimal point (the 9s after V); 0 for text and integers. */
  readonly scale: number;
  readonly signed: boolean;
  /** Sign placement of a signed zoned field; absent for every other field. */
  readonly sign?: ZonedSign;
}

export interface RecordLayout {
  /** The 01-level record name, or the name the explicit layout was given. */
  readonly name: string;
  /** Record length in bytes, FILLER included. */
  readonly length: number;
  /** Data fields in offset order. FILLER takes room but is left out: it carries no data. */
  readonly fields: readonly LayoutField[];
}

/** Bytes of a packed-decimal field of `digits` digits: two digits a byte plus the sign nibble. */
export function packedLength(digits: number): number {
  return Math.floor(digits / 2) + 1;
}

/** Bytes of a COMP field of `digits` digits (IBM: 1-4 -> halfword, 5-9 -> fullword, 10-18 -> doubleword). */
export function binaryLength(digits: number): 2 | 4 | 8 {
  if (digits <= 4) return 2;
  if (digits <= 9) return 4;
  return 8;
}

/** The most digits a binary field of `length` bytes is declared with. */
export function binaryDigits(length: 2 | 4 | 8): number {
  return { 2: 4, 4: 9, 8: 18 }[length];
}

/** The most digits COBOL allows in a numeric item (IBM Enterprise COBOL with ARITH(EXTEND)). */
export const MAX_NUMERIC_DIGITS = 31;

/** The most digits of a binary item: an 8-byte integer. */
export const MAX_BINARY_DIGITS = 18;
