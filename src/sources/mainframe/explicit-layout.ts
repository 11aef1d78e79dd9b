// Record layouts given as explicit offsets, for feeds that come without a copybook. The result
// is the same RecordLayout a copybook gives, so the same compiled decoder reads both.
import { LayoutError } from './errors.js';
import {
  MAX_NUMERIC_DIGITS,
  binaryDigits,
  type FieldKind,
  type LayoutField,
  type RecordLayout,
} from './layout.js';

export interface ExplicitFieldSpec {
  name: string;
  /** 0-based byte offset in the record. */
  offset: number;
  /** Bytes; a binary field is 2, 4 or 8. */
  length: number;
  type: FieldKind;
  /** Digits after the implied decimal point; numeric types only. */
  scale?: number;
  /** Numeric types only; default false. A signed zoned field has its sign overpunched in the last byte. */
  signed?: boolean;
  /**
   * Packed only: the declared digits when even, as S9(4) COMP-3 in 3 bytes, so that the spare
   * high-order nibble is checked to be 0. Default: all the digits the bytes hold (2 a byte less the sign).
   */
  digits?: number;
}

export interface ExplicitLayoutOptions {
  /** Names the layout in errors and in the decoded record's layout. */
  name: string;
  /** Record length; defaults to the end of the last field. Fields must fit inside it. */
  length?: number;
}

const KINDS: readonly FieldKind[] = ['text', 'zoned', 'packed', 'binary'];

// Decoded values are keyed by field name; '__proto__' as a key would not become a property.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.()-]*$/;

/**
 * Builds a RecordLayout from explicit field specs. Every problem is collected and reported in
 * one LayoutError, so a config with several mistakes is fixed in one round.
 */
export function buildExplicitLayout(
  specs: readonly ExplicitFieldSpec[],
  options: ExplicitLayoutOptions,
): RecordLayout {
  const problems: string[] = [];
  const fields: LayoutField[] = [];
  const names = new Set<string>();
  for (const [index, spec] of specs.entries()) {
    const label = typeof spec.name === 'string' && spec.name !== '' ? spec.name : `field #${index + 1}`;
    const fieldProblems = checkSpec(spec);
    if (names.has(spec.name)) fieldProblems.push('the name is used twice');
    names.add(spec.name);
    if (fieldProblems.length > 0) problems.push(...fieldProblems.map((p) => `${label}: ${p}`));
    else fields.push(toField(spec));
  }
  fields.sort((a, b) => a.offset - b.offset);
  problems.push(...overlaps(fields));
  const end = fields.reduce((max, f) => Math.max(max, f.offset + f.length), 0);
  const length = options.length ?? end;
  // With no valid field there is no default length to complain about; the field problems say why.
  if ((options.length !== undefined || fields.length > 0) && (!Number.isInteger(length) || length <= 0)) {
    problems.push(`the record length must be a positive integer, not ${length}`);
  }
  for (const field of fields) {
    if (field.offset + field.length > length) {
      problems.push(`${field.name}: bytes ${range(field)} end past the record length ${length}`);
    }
  }
  if (specs.length === 0) problems.push('it has no fields');
  if (problems.length > 0) {
    const heading =
      problems.length === 1
        ? `layout ${options.name}: `
        : `layout ${options.name} has ${problems.length} problems:\n  `;
    throw new LayoutError(heading + problems.join('\n  '), { layout: options.name, problems });
  }
  return { name: options.name, length, fields };
}

function checkSpec(spec: ExplicitFieldSpec): string[] {
  const problems: string[] = [];
  if (typeof spec.name !== 'string' || !NAME_PATTERN.test(spec.name)) {
    problems.push('the name must start with a letter or digit and hold only letters, digits and _ . - ( )');
  }
  if (!KINDS.includes(spec.type)) {
    problems.push(`type ${String(spec.type)} is not one of ${KINDS.join(', ')}`);
  }
  if (!Number.isInteger(spec.offset) || spec.offset < 0) {
    problems.push(`offset ${spec.offset} is not a byte offset (an integer >= 0)`);
  }
  if (!Number.isInteger(spec.length) || spec.length <= 0) {
    problems.push(`length ${spec.length} is not a byte count (an integer > 0)`);
  } else if (spec.type === 'binary' && ![2, 4, 8].includes(spec.length)) {
    problems.push(`a binary field is 2, 4 or 8 bytes, not ${spec.length}`);
  } else if (spec.type === 'packed' && spec.digits !== undefined && !fitsPacked(spec.digits, spec.length)) {
    const most = 2 * spec.length - 1;
    problems.push(`${spec.length} packed bytes hold ${most - 1} or ${most} digits, not ${spec.digits}`);
  } else if (spec.type !== 'text' && spec.type !== 'binary' && digitsOf(spec) > MAX_NUMERIC_DIGITS) {
    problems.push(`${digitsOf(spec)} digits is more than a mainframe decimal holds (${MAX_NUMERIC_DIGITS})`);
  }
  if (spec.digits !== undefined && spec.type !== 'packed') {
    problems.push('digits only applies to packed fields');
  }
  if (spec.type === 'text' && (spec.scale !== undefined || spec.signed !== undefined)) {
    problems.push('scale and signed only apply to numeric types');
  }
  if (spec.scale !== undefined && (!Number.isInteger(spec.scale) || spec.scale < 0)) {
    problems.push(`scale ${spec.scale} is not an integer >= 0`);
  } else if (spec.scale !== undefined && spec.type !== 'text' && spec.scale > digitsOf(spec)) {
    problems.push(`scale ${spec.scale} is more than the field's ${digitsOf(spec)} digits`);
  }
  return problems;
}

/** A packed field of `length` bytes declares an odd digit count that fills it, or one less. */
function fitsPacked(digits: number, length: number): boolean {
  return digits === 2 * length - 1 || digits === 2 * length - 2;
}

/** Digits a field of this type and length holds: one a byte zoned, two a byte less the sign packed. */
function digitsOf(spec: ExplicitFieldSpec): number {
  switch (spec.type) {
    case 'zoned':
      return spec.length;
    case 'packed':
      return spec.digits ?? 2 * spec.length - 1;
    case 'binary':
      return binaryDigits(spec.length as 2 | 4 | 8);
    case 'text':
      return 0;
  }
}

function toField(spec: ExplicitFieldSpec): LayoutField {
  const { name, offset, length, type: kind } = spec;
  const signed = spec.signed ?? false;
  const field = { name, offset, length, kind, digits: digitsOf(spec), scale: spec.scale ?? 0, signed };
  return kind === 'zoned' && signed ? { ...field, sign: { position: 'trailing', separate: false } } : field;
}

/** In offset order, a field overlaps an earlier one exactly when it starts before the furthest end so far. */
function overlaps(sorted: readonly LayoutField[]): string[] {
  const problems: string[] = [];
  let furthest: LayoutField | undefined; // the field reaching furthest so far
  for (const field of sorted) {
    if (furthest !== undefined && field.offset < furthest.offset + furthest.length) {
      problems.push(
        `${furthest.name} (bytes ${range(furthest)}) and ${field.name} (bytes ${range(field)}) overlap`,
      );
    }
    if (furthest === undefined || field.offset + field.length > furthest.offset + furthest.length) {
      furthest = field;
    }
  }
  return problems;
}

/** Inclusive byte range, as people count bytes in a record: 0-9 for 10 bytes at offset 0. */
function range(field: LayoutField): string {
  return `${field.offset}-${field.offset + field.length - 1}`;
}
