// Reads the data description entries of a copybook: `level [name|FILLER] clauses... .`
// Only the clauses that decide where data sits and how it is encoded are kept; clauses that do
// not change storage (VALUE, JUSTIFIED, INDEXED BY, KEY) are skipped; those that change it in
// ways the decoder does not follow (REDEFINES below 01, SYNC, OCCURS DEPENDING ON, ...) are refused.
import type { Token } from './copybook-lexer.js';
import { CopybookError } from './errors.js';
import type { ZonedSign } from './layout.js';
import { parsePicture, type Picture } from './picture.js';

/** How a numeric item is stored (COBOL USAGE). */
export type Usage = 'display' | 'packed' | 'binary';

export interface DataEntry {
  readonly line: number;
  readonly level: number;
  /** Undefined for FILLER and for an entry without a name (COBOL treats those as FILLER). */
  readonly name: string | undefined;
  readonly picture?: { readonly text: string; readonly parsed: Picture };
  readonly usage?: Usage;
  readonly sign?: ZonedSign;
  readonly occurs?: number;
}

const USAGES: Record<string, Usage> = {
  DISPLAY: 'display',
  COMP: 'binary',
  COMPUTATIONAL: 'binary',
  'COMP-4': 'binary',
  'COMPUTATIONAL-4': 'binary',
  // COMP-5 holds the full 2/4/8-byte range instead of truncating to the PIC digits; the bytes
  // are the same big-endian integer, so it decodes like COMP.
  'COMP-5': 'binary',
  'COMPUTATIONAL-5': 'binary',
  BINARY: 'binary',
  'COMP-3': 'packed',
  'COMPUTATIONAL-3': 'packed',
  'PACKED-DECIMAL': 'packed',
};

const UNSUPPORTED_USAGES: Record<string, string> = {
  'COMP-1': 'floating point',
  'COMPUTATIONAL-1': 'floating point',
  'COMP-2': 'floating point',
  'COMPUTATIONAL-2': 'floating point',
  POINTER: 'pointer',
  INDEX: 'index',
  NATIONAL: 'national (UTF-16)',
  'DISPLAY-1': 'DBCS',
};

const UNSUPPORTED_CLAUSES: Record<string, string> = {
  REDEFINES: 'REDEFINES is not supported: overlaid fields need a rule to choose between them',
  RENAMES: 'RENAMES (level 66) is not supported',
  SYNC: 'SYNCHRONIZED is not supported: it inserts slack bytes the layout does not follow',
  SYNCHRONIZED: 'SYNCHRONIZED is not supported: it inserts slack bytes the layout does not follow',
  BLANK: 'BLANK WHEN ZERO is not supported',
  COPY: 'COPY inside a copybook is not supported: expand it first',
  REPLACE: 'REPLACE is not supported: expand it first',
};

// Words that start a clause, so a run of skipped words (VALUE literals, INDEXED BY names) ends there.
const CLAUSE_WORDS = new Set([
  'PIC',
  'PICTURE',
  'USAGE',
  'SIGN',
  'LEADING',
  'TRAILING',
  'OCCURS',
  'VALUE',
  'VALUES',
  'JUST',
  'JUSTIFIED',
  'INDEXED',
  'ASCENDING',
  'DESCENDING',
  ...Object.keys(USAGES),
  ...Object.keys(UNSUPPORTED_USAGES),
  ...Object.keys(UNSUPPORTED_CLAUSES),
]);

// Listing-control statements that may stand between entries, with or without a period.
const LISTING_CONTROL = new Set(['EJECT', 'SKIP1', 'SKIP2', 'SKIP3']);

export function readDataEntries(tokens: readonly Token[], file: string): DataEntry[] {
  const entries: DataEntry[] = [];
  let start = 0;
  while (start < tokens.length) {
    const first = tokens[start];
    if (first !== undefined && first.kind === 'word' && LISTING_CONTROL.has(first.text.toUpperCase())) {
      start += tokens[start + 1]?.kind === 'period' ? 2 : 1;
      continue;
    }
    let end = start;
    while (end < tokens.length && tokens[end]?.kind !== 'period') end++;
    const entryTokens = tokens.slice(start, end);
    if (end >= tokens.length) {
      const last = entryTokens[entryTokens.length - 1];
      throw new CopybookError(file, last?.line ?? 1, 'the last entry does not end with a period');
    }
    const entry = new EntryReader(entryTokens, file, tokens[end]?.line ?? 1).read();
    // Level 88 condition names take no storage.
    if (entry !== undefined) entries.push(entry);
    start = end + 1;
  }
  return entries;
}

class EntryReader {
  private at = 0;
  private readonly entry: {
    line: number;
    level: number;
    name: string | undefined;
    picture?: { text: string; parsed: Picture };
    usage?: Usage;
    sign?: ZonedSign;
    occurs?: number;
  };

  constructor(
    private readonly tokens: readonly Token[],
    private readonly file: string,
    periodLine: number,
  ) {
    this.entry = { line: tokens[0]?.line ?? periodLine, level: 0, name: undefined };
  }

  read(): DataEntry | undefined {
    const levelToken = this.next();
    if (levelToken === undefined) this.fail('a lone period is not a data description entry');
    if (!/^[0-9]{1,2}$/.test(levelToken.text)) {
      this.fail(`expected a level number, found '${levelToken.text}'`);
    }
    const level = Number(levelToken.text);
    if (level === 88) return undefined;
    if (level === 66) this.fail(UNSUPPORTED_CLAUSES.RENAMES ?? '');
    if (level === 77) this.fail('level 77 items are not part of a record layout');
    if (level < 1 || level > 49) this.fail(`level ${levelToken.text} is not a level number (01-49)`);
    this.entry.level = level;
    this.readName();
    while (this.at < this.tokens.length) this.readClause();
    return this.entry;
  }

  private readName(): void {
    const token = this.peek();
    if (token === undefined || token.kind !== 'word') return;
    const word = token.text.toUpperCase();
    if (CLAUSE_WORDS.has(word)) return; // no name: COBOL treats the item as FILLER
    this.at++;
    if (word === 'FILLER') return;
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(token.text) || token.text.endsWith('-')) {
      this.fail(`'${token.text}' is not a data name`);
    }
    this.entry.name = token.text;
  }

  private readClause(): void {
    const token = this.expectWord('a clause');
    const word = token.text.toUpperCase();
    if (/^[0-9]{1,2}$/.test(word)) {
      this.fail(
        `'${token.text}' looks like the level number of a new entry: the entry before it has no period`,
      );
    }
    // A 01 record that REDEFINES another is an alternative layout of the same buffer; only one
    // record is laid out at a time, so nothing overlaps. Below 01 it would overlay fields.
    if (word === 'REDEFINES' && this.entry.level === 1) {
      this.expectWord('the redefined record after REDEFINES');
      return;
    }
    const unsupported = UNSUPPORTED_CLAUSES[word];
    if (unsupported !== undefined) this.fail(unsupported);
    switch (word) {
      case 'PIC':
      case 'PICTURE':
        return this.readPicture();
      case 'USAGE':
        this.skipOptional('IS');
        return this.readUsage(this.expectWord('a usage after USAGE'));
      case 'SIGN':
        this.skipOptional('IS');
        return this.readSign(this.expectWord('LEADING or TRAILING after SIGN'));
      case 'LEADING':
      case 'TRAILING':
        return this.readSign(token);
      case 'OCCURS':
        return this.readOccurs();
      case 'VALUE':
      case 'VALUES':
      case 'JUST':
      case 'JUSTIFIED':
      case 'INDEXED':
      case 'ASCENDING':
      case 'DESCENDING':
        // Initial values, justification and table keys/indexes do not change storage.
        return this.skipToNextClause();
      default:
        return this.readUsage(token);
    }
  }

  private readPicture(): void {
    this.skipOptional('IS');
    const token = this.expectWord('a picture string after PIC');
    const parsed = parsePicture(token.text);
    if ('problem' in parsed) this.fail(`PIC clause '${token.text}' does not parse: ${parsed.problem}`);
    this.entry.picture = { text: token.text, parsed };
  }

  private readUsage(token: Token): void {
    const word = token.text.toUpperCase();
    const usage = USAGES[word];
    if (usage !== undefined) {
      this.entry.usage = usage;
      return;
    }
    const unsupported = UNSUPPORTED_USAGES[word];
    if (unsupported !== undefined) this.fail(`USAGE ${word} (${unsupported}) is not supported`);
    this.fail(`unexpected '${token.text}': not a clause this parser knows`);
  }

  private readSign(token: Token): void {
    const position = token.text.toUpperCase();
    if (position !== 'LEADING' && position !== 'TRAILING') {
      this.fail(`expected LEADING or TRAILING after SIGN, found '${token.text}'`);
    }
    const separate = this.skipOptional('SEPARATE');
    if (separate) this.skipOptional('CHARACTER');
    this.entry.sign = { position: position === 'LEADING' ? 'leading' : 'trailing', separate };
  }

  private readOccurs(): void {
    const count = this.expectWord('a count after OCCURS');
    if (!/^[0-9]+$/.test(count.text) || Number(count.text) === 0) {
      this.fail(`OCCURS needs a positive count, found '${count.text}'`);
    }
    const after = this.peek()?.text.toUpperCase();
    if (after === 'TO' || after === 'DEPENDING') {
      this.fail('OCCURS ... DEPENDING ON (variable-length tables) is not supported');
    }
    this.skipOptional('TIMES');
    this.entry.occurs = Number(count.text);
  }

  private skipToNextClause(): void {
    while (this.at < this.tokens.length) {
      const token = this.peek();
      if (token?.kind === 'word' && CLAUSE_WORDS.has(token.text.toUpperCase())) return;
      if (token?.kind === 'word' && token.text.toUpperCase() === 'DEPENDING') {
        this.fail('OCCURS ... DEPENDING ON (variable-length tables) is not supported');
      }
      this.at++;
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private next(): Token | undefined {
    const token = this.tokens[this.at];
    if (token !== undefined) this.at++;
    return token;
  }

  private skipOptional(word: string): boolean {
    const token = this.peek();
    if (token?.kind !== 'word' || token.text.toUpperCase() !== word) return false;
    this.at++;
    return true;
  }

  private expectWord(what: string): Token {
    const token = this.next();
    if (token === undefined) this.fail(`expected ${what} before the period`);
    if (token.kind !== 'word') this.fail(`expected ${what}, found the literal '${token.text}'`);
    return token;
  }

  private fail(problem: string): never {
    const line = this.tokens[Math.min(this.at, this.tokens.length) - 1]?.line ?? this.entry.line;
    throw new CopybookError(this.file, line, problem);
  }
}
