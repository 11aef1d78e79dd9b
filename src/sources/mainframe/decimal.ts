// Exact decimal text from a sign, a digit string and a scale. Mainframe amounts are decimal by
// nature (S9(9)V999); a JS number would turn 0.1 into 0.1000000000000000055..., so values
// stay strings of digits and the decimal point is placed by counting.

/**
 * `digits` are the number's decimal digits without sign or point, possibly with leading zeros;
 * the last `scale` of them follow the decimal point. With `keepLeadingZeros` the integer part
 * keeps its declared width (000000001001), otherwise it is trimmed to one digit (0.500, 120.000).
 * Negative zero prints as zero: -0.000 and 0.000 are the same amount.
 */
export function formatDecimal(
  digits: string,
  scale: number,
  negative: boolean,
  keepLeadingZeros: boolean,
): string {
  let text = digits;
  if (text.length <= scale) text = text.padStart(scale + 1, '0');
  if (!keepLeadingZeros) {
    let first = 0;
    const lastIntegerDigit = text.length - scale - 1;
    while (first < lastIntegerDigit && text.charCodeAt(first) === 0x30) first++;
    if (first > 0) text = text.slice(first);
  }
  if (scale > 0) text = `${text.slice(0, text.length - scale)}.${text.slice(text.length - scale)}`;
  return negative && !isZero(digits) ? `-${text}` : text;
}

function isZero(digits: string): boolean {
  for (let i = 0; i < digits.length; i++) if (digits.charCodeAt(i) !== 0x30) return false;
  return true;
}
