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

export const decimalFunctions = {
  dadd: (a: unknown, b: unknown) =>
    out(toDecimal(a, 'dadd').plus(toDecimal(b, 'dadd')), Math.max(scaleOf(a), scaleOf(b))),
  dsub: (a: unknown, b: unknown) =>
    out(toDecimal(a, 'dsub').minus(toDecimal(b, 'dsub')), Math.max(scaleOf(a), scaleOf(b))),
  dmul: (a: unknown, b: unknown) =>
    out(toDecimal(a, 'dmul').times(toDecimal(b, 'dmul')), Math.max(scaleOf(a), scaleOf(b))),
  dneg: (a: unknown) => out(toDecimal(a, 'dneg').negated(), scaleOf(a)),
  dabs: (a: unknown) => out(toDecimal(a, 'dabs').abs(), scaleOf(a)),
  dcmp: (a: unknown, b: unknown) => toDecimal(a, 'dcmp').comparedTo(toDecimal(b, 'dcmp')),
};

/** sign × quantity × factor, exactly. */
export function scaleQuantity(
  quantity: unknown,
  sign: unknown,
  factor: string | undefined,
  field = 'quantity',
): string {
  let q = toDecimal(quantity, field);
  if (factor !== undefined) q = q.times(toDecimal(factor, 'factor'));
  const s = toDecimal(sign, 'sign');
  if (!s.abs().equals(1)) throw new Error(`sign must be 1 or -1, got ${String(sign)}`);
  return out(s.isNegative() ? q.negated() : q, scaleOf(quantity));
}
