import { Decimal } from 'decimal.js';

/**
 * Exact decimal arithmetic for mappings. JSONata's own + - * / work on binary floating point
 * (0.1 + 0.2 = 0.30000000000000004), so quantities are computed with these instead.
 * Inputs are decimal strings (or integers); results are plain decimal strings.
 */
/**
 * Decimal notation only. decimal.js also reads hex, binary and octal literals, exponents
 * and Infinity ("0x10" would become 16, "1e2" 100), none of which is a quantity a source
 * writes; neither are blanks around the digits.
 */
const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function toDecimal(value: unknown, fn: string): Decimal {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new Error(`$${fn}: ${value} is a binary floating-point number; pass quantities as decimal strings`);
  }
  if (typeof value !== 'string' && typeof value !== 'number')
    throw new Error(`$${fn}: expected a decimal string, got ${JSON.stringify(value)}`);
  if (typeof value === 'string' && !DECIMAL_TEXT.test(value))
    throw new Error(`$${fn}: "${value}" is not a decimal number (digits, an optional sign and point)`);
  try {
    return new Decimal(value);
  } catch {
    throw new Error(`$${fn}: "${String(value)}" is not a decimal number`);
  }
}

/** Digits after the point as written: "2.500" has 3, and keeps them through arithmetic. */
const scaleOf = (value: unknown): number => {
  const text = String(value);
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
};

/** Fixed notation, no exponent, at least the scale of the operands ("2.500" stays "2.500"). */
const out = (d: Decimal, scale: number): string => {
  const fixed = d.toFixed(Math.max(scale, d.decimalPlaces()));
  return /^-0(\.0*)?$/.test(fixed) ? fixed.slice(1) : fixed;
};

/**
 * A decimal as a source writes it when it is already in the form these functions output: an
 * optional minus, no leading zeros, digits after a point if any. For such text, negating,
 * comparing and passing through are exact on the text itself, with the very result decimal.js
 * gives (decimal-functions.test.ts compares them): no Decimal is built for the common case.
 * Anything else ("+1", "007.5", ".5", numbers, what is refused) goes through decimal.js.
 */
const PLAIN = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const ZERO = /^-?0(?:\.0+)?$/;
const isPlain = (v: unknown): v is string => typeof v === 'string' && PLAIN.test(v);

/** −x of plain text; zero has no sign, as out() writes it. */
const negatePlain = (text: string): string =>
  ZERO.test(text) ? (text[0] === '-' ? text.slice(1) : text) : text[0] === '-' ? text.slice(1) : `-${text}`;

/** Plain text as out() writes it: unchanged, but a zero loses its minus. */
const plainOut = (text: string): string => (text[0] === '-' && ZERO.test(text) ? text.slice(1) : text);

/** Compares two non-negative plain decimals (no sign): integer digits first, then the fractions. */
function compareMagnitude(a: string, b: string): number {
  const ap = a.indexOf('.');
  const bp = b.indexOf('.');
  const ai = ap < 0 ? a : a.slice(0, ap);
  const bi = bp < 0 ? b : b.slice(0, bp);
  if (ai.length !== bi.length) return ai.length < bi.length ? -1 : 1;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const af = ap < 0 ? '' : a.slice(ap + 1);
  const bf = bp < 0 ? '' : b.slice(bp + 1);
  const width = Math.max(af.length, bf.length);
  const x = af.padEnd(width, '0');
  const y = bf.padEnd(width, '0');
  return x === y ? 0 : x < y ? -1 : 1;
}

const signOf = (t: string): number => (ZERO.test(t) ? 0 : t[0] === '-' ? -1 : 1);

function comparePlain(a: string, b: string): number {
  const as = signOf(a);
  const bs = signOf(b);
  if (as !== bs) return as < bs ? -1 : 1;
  if (as === 0) return 0;
  const m = compareMagnitude(as < 0 ? a.slice(1) : a, bs < 0 ? b.slice(1) : b);
  return m === 0 ? 0 : as * m;
}

export const decimalFunctions = {
  dadd: (a: unknown, b: unknown) =>
    out(toDecimal(a, 'dadd').plus(toDecimal(b, 'dadd')), Math.max(scaleOf(a), scaleOf(b))),
  dsub: (a: unknown, b: unknown) =>
    out(toDecimal(a, 'dsub').minus(toDecimal(b, 'dsub')), Math.max(scaleOf(a), scaleOf(b))),
  dmul: (a: unknown, b: unknown) =>
    out(toDecimal(a, 'dmul').times(toDecimal(b, 'dmul')), Math.max(scaleOf(a), scaleOf(b))),
  dneg: (a: unknown) => (isPlain(a) ? negatePlain(a) : out(toDecimal(a, 'dneg').negated(), scaleOf(a))),
  dabs: (a: unknown) => out(toDecimal(a, 'dabs').abs(), scaleOf(a)),
  dcmp: (a: unknown, b: unknown) =>
    isPlain(a) && isPlain(b) ? comparePlain(a, b) : toDecimal(a, 'dcmp').comparedTo(toDecimal(b, 'dcmp')),
};

/** sign × quantity × factor, exactly. */
export function scaleQuantity(
  quantity: unknown,
  sign: unknown,
  factor: string | undefined,
  field = 'quantity',
): string {
  // The common case: a plain quantity, a sign of 1 or -1, no conversion factor.
  if (factor === undefined && (sign === 1 || sign === -1) && isPlain(quantity))
    return sign === 1 ? plainOut(quantity) : negatePlain(quantity);
  let q = toDecimal(quantity, field);
  if (factor !== undefined) q = q.times(toDecimal(factor, 'factor'));
  const s = toDecimal(sign, 'sign');
  if (!s.abs().equals(1)) throw new Error(`sign must be 1 or -1, got ${String(sign)}`);
  return out(s.isNegative() ? q.negated() : q, scaleOf(quantity));
}
