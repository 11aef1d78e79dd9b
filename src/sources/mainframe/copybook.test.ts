import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseCopybook } from './copybook.js';
import { CopybookError } from './errors.js';
import type { LayoutField } from './layout.js';

const samples = path.resolve('../shared/samples/mainframe');

/**
 * A fixed-format copybook from lines that start at column 7 (the indicator: ' ' or '*'):
 * columns 1-6 get sequence numbers, which the parser must ignore.
 */
function copybook(...lines: string[]): string {
  return lines.map((line, i) => String((i + 1) * 100).padStart(6, '0') + line).join('\n');
}

/** Puts an identification area (columns 73-80) after a line, which the parser must ignore. */
function identified(line: string): string {
  return line.padEnd(72 - 6) + 'WHMOV001';
}

function parse(text: string): readonly LayoutField[] {
  return parseCopybook(text, { file: 'TEST.cpy' }).fields;
}

function parseError(text: string, file = 'TEST.cpy'): CopybookError {
  try {
    parseCopybook(text, { file });
  } catch (e) {
    expect(e).to.be.instanceOf(CopybookError);
    return e as CopybookError;
  }
  throw new Error('expected the copybook to be refused');
}

function field(fields: readonly LayoutField[], name: string): LayoutField {
  const found = fields.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no field ${name} in ${fields.map((f) => f.name).join(', ')}`);
  return found;
}

describe('copybook parser', () => {
  it('lays out the WHMOVE sample: offsets, lengths, kinds, 87 bytes with the FILLER', () => {
    const layout = parseCopybook(readFileSync(path.join(samples, 'WHMOVE.cpy'), 'utf8'), {
      file: 'WHMOVE.cpy',
    });
    expect(layout.name).to.equal('WH-MOVE-REC');
    expect(layout.length).to.equal(87);
    expect(layout.fields.map((f) => [f.name, f.offset, f.length, f.kind])).to.deep.equal([
      ['WM-REC-TYPE', 0, 2, 'text'],
      ['WM-WAREHOUSE-ID', 2, 6, 'text'],
      ['WM-SKU', 8, 18, 'text'],
      ['WM-MOVE-CODE', 26, 3, 'text'],
      ['WM-QUANTITY', 29, 7, 'packed'],
      ['WM-UOM', 36, 3, 'text'],
      ['WM-MOVE-TS', 39, 26, 'text'],
      ['WM-SEQ-NO', 65, 12, 'zoned'],
    ]);
    expect(field(layout.fields, 'WM-QUANTITY')).to.include({ digits: 12, scale: 3, signed: true });
    expect(field(layout.fields, 'WM-SEQ-NO')).to.include({ digits: 12, scale: 0, signed: false });
  });

  it('reads the pictures: X, A, 9, S, V and repetition counts', () => {
    const fields = parse(
      copybook(
        ' 01  REC.',
        '     05  A-TEXT       PIC XX.',
        '     05  A-ALPHA      PICTURE IS A(3).',
        '     05  A-UNSIGNED   PIC 9(5).',
        '     05  A-SIGNED     PIC S9(4).',
        '     05  A-AMOUNT     PIC S9(5)V99.',
        '     05  A-FRACTION   PIC SV9(3).',
        '     05  A-LOWER      pic s9(2)v9.',
      ),
    );
    expect(
      fields.map((f) => [f.name, f.offset, f.length, f.kind, f.digits, f.scale, f.signed]),
    ).to.deep.equal([
      ['A-TEXT', 0, 2, 'text', 0, 0, false],
      ['A-ALPHA', 2, 3, 'text', 0, 0, false],
      ['A-UNSIGNED', 5, 5, 'zoned', 5, 0, false],
      ['A-SIGNED', 10, 4, 'zoned', 4, 0, true],
      ['A-AMOUNT', 14, 7, 'zoned', 7, 2, true],
      ['A-FRACTION', 21, 3, 'zoned', 3, 3, true],
      ['A-LOWER', 24, 3, 'zoned', 3, 1, true],
    ]);
    expect(field(fields, 'A-SIGNED').sign).to.deep.equal({ position: 'trailing', separate: false });
  });

  it('sizes packed and binary items from their digits, in every spelling of the USAGE', () => {
    const fields = parse(
      copybook(
        ' 01  REC.',
        '     05  P-ODD        PIC S9(5)     COMP-3.',
        '     05  P-EVEN       PIC S9(4)V99  USAGE IS PACKED-DECIMAL.',
        '     05  P-LONG       PIC 9(18)     COMPUTATIONAL-3.',
        '     05  B-HALF       PIC S9(4)     COMP.',
        '     05  B-FULL       PIC 9(9)      BINARY.',
        '     05  B-FULL-5     PIC S9(5)     COMP-5.',
        '     05  B-DOUBLE     PIC S9(10)V99 USAGE COMP-4.',
      ),
    );
    expect(fields.map((f) => [f.name, f.offset, f.length, f.kind])).to.deep.equal([
      ['P-ODD', 0, 3, 'packed'],
      ['P-EVEN', 3, 4, 'packed'],
      ['P-LONG', 7, 10, 'packed'],
      ['B-HALF', 17, 2, 'binary'],
      ['B-FULL', 19, 4, 'binary'],
      ['B-FULL-5', 23, 4, 'binary'],
      ['B-DOUBLE', 27, 8, 'binary'],
    ]);
  });

  it('passes USAGE and SIGN of a group down to its items; SIGN SEPARATE adds the sign byte', () => {
    const fields = parse(
      copybook(
        ' 01  REC.',
        '     05  AMOUNTS COMP-3.',
        '         10  AMT-1    PIC S9(3).',
        '         10  AMT-2    PIC S9(3).',
        '     05  ZONED SIGN IS LEADING SEPARATE CHARACTER.',
        '         10  ZON-1    PIC S9(3).',
        '         10  ZON-2    PIC S9(3) SIGN TRAILING.',
        '     05  ZON-3        PIC S9(3) TRAILING SEPARATE.',
      ),
    );
    expect(fields.map((f) => [f.name, f.offset, f.length, f.kind])).to.deep.equal([
      ['AMT-1', 0, 2, 'packed'],
      ['AMT-2', 2, 2, 'packed'],
      ['ZON-1', 4, 4, 'zoned'],
      ['ZON-2', 8, 3, 'zoned'],
      ['ZON-3', 11, 4, 'zoned'],
    ]);
    expect(field(fields, 'ZON-1').sign).to.deep.equal({ position: 'leading', separate: true });
    expect(field(fields, 'ZON-2').sign).to.deep.equal({ position: 'trailing', separate: false });
    expect(field(fields, 'ZON-3').sign).to.deep.equal({ position: 'trailing', separate: true });
  });

  it('ignores comments, sequence numbers, the identification area, 88 levels and VALUE clauses', () => {
    const text = copybook(
      '* a comment line, PIC X(99) here means nothing',
      '/ a page-eject comment',
      identified(' 01  REC.'),
      identified('     05  STATUS-CODE  PIC X VALUE SPACE.'),
      "         88  STATUS-OK   VALUE 'Y' 'y'.",
      '         88  STATUS-BAD  VALUES ARE "N" THRU "Z".',
      '     05  COUNTER      PIC S9(4) COMP VALUE +0.  *> inline comment',
      '',
      '     05  FILLER       PIC X(5).',
      '     05               PIC X(2).',
      '     05  LAST-ONE     PIC X.',
    );
    const layout = parseCopybook(text, { file: 'TEST.cpy' });
    expect(layout.fields.map((f) => [f.name, f.offset, f.length])).to.deep.equal([
      ['STATUS-CODE', 0, 1],
      ['COUNTER', 1, 2],
      ['LAST-ONE', 10, 1],
    ]);
    expect(layout.length).to.equal(11);
  });

  it('lets an entry run over several lines', () => {
    const fields = parse(
      copybook(' 01  REC.', '     05  LONG-NAME-ITEM', '             PIC S9(7)V99', '             COMP-3.'),
    );
    expect(fields).to.deep.equal([
      { name: 'LONG-NAME-ITEM', offset: 0, length: 5, kind: 'packed', digits: 9, scale: 2, signed: true },
    ]);
  });

  it('expands OCCURS tables into subscripted fields, nested tables too', () => {
    const layout = parseCopybook(
      copybook(
        ' 01  REC.',
        '     05  LINE-COUNT   PIC 9(2).',
        '     05  ITEMS OCCURS 2 TIMES INDEXED BY ITEM-IX.',
        '         10  ITEM-SKU PIC X(4).',
        '         10  ITEM-QTY PIC S9(3) COMP-3 OCCURS 3.',
        '     05  TRAILER      PIC X.',
      ),
      { file: 'TEST.cpy' },
    );
    expect(layout.fields.map((f) => [f.name, f.offset])).to.deep.equal([
      ['LINE-COUNT', 0],
      ['ITEM-SKU(1)', 2],
      ['ITEM-QTY(1,1)', 6],
      ['ITEM-QTY(1,2)', 8],
      ['ITEM-QTY(1,3)', 10],
      ['ITEM-SKU(2)', 12],
      ['ITEM-QTY(2,1)', 16],
      ['ITEM-QTY(2,2)', 18],
      ['ITEM-QTY(2,3)', 20],
      ['TRAILER', 22],
    ]);
    expect(layout.length).to.equal(23);
  });

  it('accepts a copybook that starts below 01 and names the record after the file', () => {
    const layout = parseCopybook(copybook(' 05  A  PIC X(3).', ' 05  B  PIC 9(2).'), {
      file: 'dir/PARTS.cpy',
    });
    expect(layout.name).to.equal('PARTS');
    expect(layout.fields.map((f) => [f.name, f.offset])).to.deep.equal([
      ['A', 0],
      ['B', 3],
    ]);
  });

  it('picks one of several 01 records by name, and asks for one when none is named', () => {
    const text = copybook(
      ' 01  HEADER-REC.',
      '     05  H-TYPE PIC X.',
      ' 01  DETAIL-REC.',
      '     05  D-QTY  PIC 9(3).',
    );
    expect(
      parseCopybook(text, { file: 'TWO.cpy', record: 'detail-rec' }).fields.map((f) => f.name),
    ).to.deep.equal(['D-QTY']);
    expect(parseError(text, 'TWO.cpy').message).to.equal(
      'TWO.cpy:3: the copybook holds several records (HEADER-REC, DETAIL-REC); say which one to use',
    );
  });

  it('lays out a 01 record that REDEFINES another on its own', () => {
    const text = copybook(
      ' 01  MOVE-REC.',
      '     05  M-QTY  PIC S9(5) COMP-3.',
      ' 01  COUNT-REC REDEFINES MOVE-REC.',
      '     05  C-QTY  PIC S9(5).',
    );
    expect(parseCopybook(text, { file: 'ALT.cpy', record: 'COUNT-REC' }).fields).to.deep.equal([
      {
        name: 'C-QTY',
        offset: 0,
        length: 5,
        kind: 'zoned',
        digits: 5,
        scale: 0,
        signed: true,
        sign: { position: 'trailing', separate: false },
      },
    ]);
  });

  it('skips listing-control statements and reads tab-indented lines at the tab stops', () => {
    const text = [
      '      * tabbed',
      '\t 01  REC.',
      '\t     05  A PIC X(2).',
      '       EJECT',
      '\t     05  B PIC 9.',
    ].join('\n');
    expect(parse(text).map((f) => [f.name, f.offset])).to.deep.equal([
      ['A', 0],
      ['B', 2],
    ]);
  });

  describe('errors name the file, the line and the problem', () => {
    it('a PIC clause that does not parse', () => {
      const lines = [
        ' 01  WH-MOVE-REC.',
        '     05  WM-REC-TYPE          PIC X(2).',
        '     05  WM-QUANTITY          PIC S9(9)V9X COMP-3.',
      ];
      const error = parseError(copybook(...lines), 'WHMOVE.cpy');
      expect(error.message).to.equal(
        "WHMOVE.cpy:3: PIC clause 'S9(9)V9X' does not parse: it mixes text symbols (X, A) with numeric ones (S, V)",
      );
      expect(error.context).to.include({ file: 'WHMOVE.cpy', line: 3 });
      expect(error.code).to.equal('STOCKLINE_COPYBOOK_INVALID');
    });

    it('the line of the clause, when an entry runs over several lines', () => {
      const error = parseError(
        copybook(' 01  REC.', '     05  AMOUNT', '         PIC 9(3', '         COMP-3.'),
      );
      expect(error.message).to.equal(
        "TEST.cpy:3: PIC clause '9(3' does not parse: the repetition after '9' must be a positive count in parentheses",
      );
    });

    const cases: [string, string[], string][] = [
      [
        'edited pictures',
        [' 01  R.', '     05  A PIC ZZ9.99.'],
        "TEST.cpy:2: PIC clause 'ZZ9.99' does not parse: edited pictures ('Z') are not supported",
      ],
      [
        'REDEFINES',
        [' 01  R.', '     05  A PIC X(4).', '     05  B REDEFINES A PIC 9(4).'],
        'TEST.cpy:3: REDEFINES is not supported: overlaid fields need a rule to choose between them',
      ],
      [
        'OCCURS DEPENDING ON',
        [' 01  R.', '     05  N PIC 9.', '     05  A PIC X OCCURS 1 TO 5 DEPENDING ON N.'],
        'TEST.cpy:3: OCCURS ... DEPENDING ON (variable-length tables) is not supported',
      ],
      [
        'an unknown clause',
        [' 01  R.', '     05  A PIC X GLOBAL.'],
        "TEST.cpy:2: unexpected 'GLOBAL': not a clause this parser knows",
      ],
      [
        'floating point',
        [' 01  R.', '     05  A COMP-2.'],
        'TEST.cpy:2: USAGE COMP-2 (floating point) is not supported',
      ],
      [
        'a missing period',
        [' 01  R.', '     05  A PIC X(4)', '     05  B PIC X.'],
        "TEST.cpy:3: '05' looks like the level number of a new entry: the entry before it has no period",
      ],
      [
        'a last entry without a period',
        [' 01  R.', '     05  A PIC X(4)'],
        'TEST.cpy:2: the last entry does not end with a period',
      ],
      [
        'a level that matches no enclosing level',
        [' 01  R.', '     05  A.', '         10  B PIC X.', '       07  C PIC X.'],
        'TEST.cpy:4: level 07 does not match the level of the items it follows (10)',
      ],
      [
        'a group with a PIC',
        [' 01  R.', '     05  A PIC X(2).', '         10  B PIC X.'],
        'TEST.cpy:2: group item A cannot have a PIC clause',
      ],
      [
        'an item without PIC',
        [' 01  R.', '     05  A.', '     05  B PIC X.'],
        'TEST.cpy:2: A: no PIC clause and no subordinate items',
      ],
      [
        'text with COMP-3',
        [' 01  R.', '     05  A PIC X(3) COMP-3.'],
        'TEST.cpy:2: A: a PIC X(3) item cannot be USAGE packed',
      ],
      [
        'a binary item too long',
        [' 01  R.', '     05  A PIC 9(19) COMP.'],
        'TEST.cpy:2: A: a binary item holds at most 18 digits, not 19',
      ],
      [
        'a name used twice',
        [' 01  R.', '     05  G1.', '         10  X PIC X.', '     05  G2.', '         10  X PIC X.'],
        'TEST.cpy:5: data name X is already used on line 3',
      ],
      [
        'a continuation line',
        [' 01  R.', "     05  A PIC X VALUE 'AB", "-    'CD'."],
        'TEST.cpy:2: literal is not closed on its line (continuation lines are not supported)',
      ],
      [
        'code in column 7',
        [' 01  R.', '05  A PIC X.'],
        "TEST.cpy:2: column 7 holds '0', not ' ', '*', '/' or '-': is the copybook in fixed format, code from column 8?",
      ],
    ];
    for (const [what, lines, message] of cases) {
      it(what, () => expect(parseError(copybook(...lines)).message).to.equal(message));
    }
  });
});
