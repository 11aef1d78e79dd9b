// Splits a fixed-format COBOL copybook into tokens. Fixed format: columns 1-6 are a sequence
// number and 73-80 an identification area, both ignored; column 7 is the indicator ('*' or '/'
// comment, 'D' debugging line, '-' continuation); the code is in columns 8-72.
import { CopybookError } from './errors.js';

export interface Token {
  readonly kind: 'word' | 'literal' | 'period';
  /** The word as written (a literal without its quotes). */
  readonly text: string;
  /** 1-based line in the copybook. */
  readonly line: number;
}

const INDICATOR_COLUMN = 6; // 0-based index of column 7
const CODE_END_COLUMN = 72; // columns past 72 are the identification area

export function tokenizeCopybook(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const columns = expandTabs(raw);
    const indicator = columns[INDICATOR_COLUMN] ?? ' ';
    // Without a compiler's WITH DEBUGGING MODE, a 'D' line is a comment.
    if ('*/Dd'.includes(indicator)) return;
    if (indicator === '-') {
      throw new CopybookError(file, line, 'continuation lines (column 7 "-") are not supported');
    }
    if (indicator !== ' ') {
      throw new CopybookError(
        file,
        line,
        `column 7 holds '${indicator}', not ' ', '*', '/' or '-': is the copybook in fixed format, code from column 8?`,
      );
    }
    tokenizeLine(columns.slice(INDICATOR_COLUMN + 1, CODE_END_COLUMN), line, file, tokens);
  });
  return tokens;
}

/** Tabs to spaces with stops every 8 columns, as editors show them, so columns mean the same. */
function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const char of line) out += char === '\t' ? ' '.repeat(8 - (out.length % 8)) : char;
  return out;
}

function tokenizeLine(code: string, line: number, file: string, tokens: Token[]): void {
  let i = 0;
  while (i < code.length) {
    const char = code[i] ?? '';
    if (char === ' ' || char === ',' || char === ';') {
      // A comma or semicolon between clauses is a separator, like a space.
      i++;
    } else if (char === '*' && code[i + 1] === '>') {
      return; // inline comment to the end of the line
    } else if (char === "'" || char === '"') {
      i = readLiteral(code, i, line, file, tokens);
    } else {
      let end = i;
      while (end < code.length && code[end] !== ' ') end++;
      let word = code.slice(i, end);
      // A period that ends a word ends the entry; one inside (PIC 9.99) is part of the word.
      const endsEntry = word.endsWith('.');
      if (endsEntry) word = word.slice(0, -1);
      word = word.replace(/[,;]+$/, '');
      if (word !== '') tokens.push({ kind: 'word', text: word, line });
      if (endsEntry) tokens.push({ kind: 'period', text: '.', line });
      i = end;
    }
  }
}

/** Reads 'text' or "text" (a doubled quote inside stands for one); returns the index after it. */
function readLiteral(code: string, start: number, line: number, file: string, tokens: Token[]): number {
  const quote = code[start];
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= code.length) {
      throw new CopybookError(
        file,
        line,
        'literal is not closed on its line (continuation lines are not supported)',
      );
    }
    if (code[i] === quote) {
      if (code[i + 1] !== quote) break;
      i++;
    }
    value += code[i];
    i++;
  }
  tokens.push({ kind: 'literal', text: value, line });
  i++;
  if (code[i] === '.' && (i + 1 >= code.length || code[i + 1] === ' ')) {
    tokens.push({ kind: 'period', text: '.', line });
    i++;
  }
  return i;
}
