import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseCopybook } from './copybook.js';
import { LayoutError } from './errors.js';
import { buildExplicitLayout, type ExplicitFieldSpec } from './explicit-layout.js';
import { decodeRecord } from './record.js';

const samples = path.resolve('../shared/samples/mainframe');

const WHMOVE_BY_OFFSET: ExplicitFieldSpec[] = [
  { name: 'WM-REC-TYPE', offset: 0, length: 2, type: 'text' },
  { name: 'WM-WAREHOUSE-ID', offset: 2, length: 6, type: 'text' },
  { name: 'WM-SKU', offset: 8, length: 18, type: 'text' },
  { name: 'WM-MOVE-CODE', offset: 26, length: 3, type: 'text' },
  { name: 'WM-QUANTITY', offset: 29, length: 7, type: 'packed', digits: 12, scale: 3, signed: true },
  { name: 'WM-UOM', offset: 36, length: 3, type: 'text' },
  { name: 'WM-MOVE-TS', offset: 39, length: 26, type: 'text' },
  { name: 'WM-SEQ-NO', offset: 65, length: 12, type: 'zoned' },
];

function layoutError(specs: ExplicitFieldSpec[], length?: number): LayoutError {
  try {
    buildExplicitLayout(specs, { name: 'FEED', length });
  } catch (e) {
    expect(e).to.be.instanceOf(LayoutError);
    return e as LayoutError;
  }
  throw new Error('expected the layout to be refused');
}

describe('explicit-offset layouts', () => {
  it('build the layout the copybook gives, and decode the samples the same way', () => {
    const explicit = buildExplicitLayout(WHMOVE_BY_OFFSET, { name: 'WH-MOVE-REC', length: 87 });
    const fromCopybook = parseCopybook(readFileSync(path.join(samples, 'WHMOVE.cpy'), 'utf8'), {
      file: 'WHMOVE.cpy',
    });
    expect(explicit).to.deep.equal(fromCopybook);
    for (const n of [1, 2, 3, 4]) {
      const record = readFileSync(path.join(samples, `whmove-${n}.bin`));
      expect(decodeRecord(explicit, record, 37)).to.deep.equal(decodeRecord(fromCopybook, record, 37));
    }
  });

  it('sort fields by offset, allow gaps, and take the record length from the last field by default', () => {
    const layout = buildExplicitLayout(
      [
        { name: 'QTY', offset: 10, length: 4, type: 'binary', signed: true },
        { name: 'CODE', offset: 0, length: 3, type: 'text' },
        { name: 'AMOUNT', offset: 4, length: 5, type: 'zoned', scale: 2, signed: true },
      ],
      { name: 'FEED' },
    );
    expect(layout.length).to.equal(14);
    expect(layout.fields).to.deep.equal([
      { name: 'CODE', offset: 0, length: 3, kind: 'text', digits: 0, scale: 0, signed: false },
      {
        name: 'AMOUNT',
        offset: 4,
        length: 5,
        kind: 'zoned',
        digits: 5,
        scale: 2,
        signed: true,
        sign: { position: 'trailing', separate: false },
      },
      { name: 'QTY', offset: 10, length: 4, kind: 'binary', digits: 9, scale: 0, signed: true },
    ]);
  });

  it('refuse overlapping fields, naming both and their byte ranges', () => {
    const error = layoutError([
      { name: 'SKU', offset: 0, length: 10, type: 'text' },
      { name: 'QTY', offset: 8, length: 4, type: 'packed' },
    ]);
    expect(error.message).to.equal('layout FEED: SKU (bytes 0-9) and QTY (bytes 8-11) overlap');
    expect(error.code).to.equal('STOCKLINE_LAYOUT_INVALID');
  });

  it('find an overlap hidden behind a shorter field', () => {
    const error = layoutError([
      { name: 'WHOLE', offset: 0, length: 20, type: 'text' },
      { name: 'PART', offset: 2, length: 2, type: 'text' },
      { name: 'LATER', offset: 15, length: 2, type: 'text' },
    ]);
    expect(error.message).to.contain('WHOLE (bytes 0-19) and PART (bytes 2-3) overlap');
    expect(error.message).to.contain('WHOLE (bytes 0-19) and LATER (bytes 15-16) overlap');
  });

  it('refuse a field past the record length', () => {
    const error = layoutError([{ name: 'SKU', offset: 80, length: 10, type: 'text' }], 87);
    expect(error.message).to.equal('layout FEED: SKU: bytes 80-89 end past the record length 87');
  });

  it('report every malformed field at once', () => {
    const error = layoutError([
      { name: 'A', offset: -1, length: 2, type: 'text' },
      { name: 'B', offset: 0, length: 3, type: 'binary' },
      { name: 'C', offset: 4, length: 2, type: 'zoned', scale: 3 },
      { name: 'D', offset: 6, length: 2, type: 'text', signed: true },
      { name: 'D', offset: 8, length: 1.5, type: 'float' as 'text' },
      { name: '__proto__', offset: 10, length: 1, type: 'text' },
      { name: 'E', offset: 11, length: 3, type: 'packed', digits: 3 },
    ]);
    expect(error.message.split('\n')).to.deep.equal([
      'layout FEED has 9 problems:',
      '  A: offset -1 is not a byte offset (an integer >= 0)',
      '  B: a binary field is 2, 4 or 8 bytes, not 3',
      "  C: scale 3 is more than the field's 2 digits",
      '  D: scale and signed only apply to numeric types',
      '  D: type float is not one of text, zoned, packed, binary',
      '  D: length 1.5 is not a byte count (an integer > 0)',
      '  D: the name is used twice',
      '  __proto__: the name must start with a letter or digit and hold only letters, digits and _ . - ( )',
      '  E: 3 packed bytes hold 4 or 5 digits, not 3',
    ]);
  });

  it('refuse a layout without fields', () => {
    expect(layoutError([]).message).to.equal('layout FEED: it has no fields');
  });
});
