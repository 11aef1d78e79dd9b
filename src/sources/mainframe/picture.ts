// COBOL PICTURE strings of the kinds record layouts use: alphanumeric X/A and numeric
// [S]9...[V9...]. Edited pictures (Z, $, ., CR, ...) only appear in print lines and P scaling
// and national N/G are rare in messages, so those are refused with a reason rather than guessed.

export type Picture =
  | { readonly category: 'alphanumeric'; readonly length: number }
  | {
      readonly category: 'numeric';
      readonly digits: number;
      readonly scale: number;
      readonly signed: boolean;
    };

/** Why a picture string was refused, to follow "PIC clause '...' does not parse: ". */
export interface PictureProblem {
  readonly problem: string;
}

interface PictureSymbol {
  char: string;
  count: number;
}

const EDITING_SYMBOLS = new Set(['Z', 'B', '0', '/', ',', '.', '+', '-', '*', '$', 'C', 'D', 'E']);

export function parsePicture(text: string): Picture | PictureProblem {
  const symbols = expandRepetitions(text);
  if (!Array.isArray(symbols)) return symbols;
  const chars = new Set(symbols.map((s) => s.char));
  if (chars.has('P')) return { problem: 'the scaling position P is not supported' };
  if (chars.has('N') || chars.has('G')) {
    return { problem: 'national and DBCS pictures (N, G) are not supported' };
  }
  const editing = [...chars].find((c) => EDITING_SYMBOLS.has(c));
  if (editing !== undefined) return { problem: `edited pictures ('${editing}') are not supported` };
  const unknown = [...chars].find((c) => !'XA9SV'.includes(c));
  if (unknown !== undefined) return { problem: `'${unknown}' is not a PICTURE symbol` };
  if (chars.has('X') || chars.has('A')) return alphanumeric(symbols);
  return numeric(symbols);
}

/** `S9(3)V99` -> S×1, 9×3, V×1, 9×2. */
function expandRepetitions(text: string): PictureSymbol[] | PictureProblem {
  const symbols: PictureSymbol[] = [];
  let i = 0;
  while (i < text.length) {
    const char = (text[i] ?? '').toUpperCase();
    if (char === '(' || char === ')') return { problem: `'${char}' at position ${i + 1} repeats no symbol` };
    i++;
    let count = 1;
    if (text[i] === '(') {
      const close = text.indexOf(')', i);
      const repeat = close < 0 ? '' : text.slice(i + 1, close);
      if (!/^[0-9]+$/.test(repeat) || Number(repeat) === 0) {
        return { problem: `the repetition after '${char}' must be a positive count in parentheses` };
      }
      count = Number(repeat);
      i = close + 1;
    }
    symbols.push({ char, count });
  }
  if (symbols.length === 0) return { problem: 'it is empty' };
  return symbols;
}

function alphanumeric(symbols: PictureSymbol[]): Picture | PictureProblem {
  if (symbols.some((s) => s.char === 'S' || s.char === 'V')) {
    return { problem: 'it mixes text symbols (X, A) with numeric ones (S, V)' };
  }
  return { category: 'alphanumeric', length: symbols.reduce((sum, s) => sum + s.count, 0) };
}

function numeric(symbols: PictureSymbol[]): Picture | PictureProblem {
  let digits = 0;
  let scale = 0;
  let signed = false;
  let seenPoint = false;
  for (const [index, symbol] of symbols.entries()) {
    if (symbol.char === 'S') {
      if (index !== 0 || symbol.count !== 1) return { problem: "'S' may only appear once, first" };
      signed = true;
    } else if (symbol.char === 'V') {
      if (seenPoint || symbol.count !== 1) return { problem: "'V' may only appear once" };
      seenPoint = true;
    } else {
      digits += symbol.count;
      if (seenPoint) scale += symbol.count;
    }
  }
  if (digits === 0) return { problem: 'a numeric picture needs at least one 9' };
  return { category: 'numeric', digits, scale, signed };
}
