import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SUPPORTED_CCSIDS } from '../../../sources/mainframe/codepages.js';
import { parseCopybook } from '../../../sources/mainframe/copybook.js';
import type { RecordLayout } from '../../../sources/mainframe/layout.js';
import { compileRecordDecoder } from '../../../sources/mainframe/record.js';
import { seededRandom } from '../../samples/sample-data.js';
import { RecordEncodeError } from '../errors.js';
import { compileRecordEncoder, encodeEbcdic } from './record-encoder.js';

const samples = path.resolve('../shared/samples/mainframe');

/** A one-record copybook from its 05-level lines. */
function layoutOf(...items: string[]): RecordLayout {
  const lines = [' 01  REC.', ...items.map((item) => `     05  ${item}`)];
  return parseCopybook(lines.map((line) => `      ${line}`).join('\n'), { file: 'TEST.cpy' });
}

function encodeError(layout: RecordLayout, values: Record<string, string>): RecordEncodeError {
  try {
    compileRecordEncoder(layout, 37).encode(values);
  } catch (e) {
    expect(e).to.be.instanceOf(RecordEncodeError);
    return e as RecordEncodeError;
  }
  throw new Error('expected the value to be refused');
}

describe('record encoder (the decoder read backwards)', () => {
  describe('the WHMOVE samples (CCSID 037)', () => {
    const layout = parseCopybook(readFileSync(path.join(samples, 'WHMOVE.cpy'), 'utf8'), {
      file: 'WHMOVE.cpy',
    });
    const expectations = JSON.parse(readFileSync(path.join(samples, 'whmove-decoded.json'), 'utf8')) as ({
      file: string;
    } & Record<string, string>)[];
    const encoder = compileRecordEncoder(layout, 37);

    it('has four samples to check', () => expect(expectations).to.have.length(4));

    for (const { file, ...fields } of expectations) {
      it(`encodes the decoded fields of ${file} to exactly its bytes`, () => {
        const bytes = readFileSync(path.join(samples, file));
        expect(encoder.encode(fields).toString('hex')).to.equal(bytes.toString('hex'));
      });
    }
  });

  describe('round trip through the decoder', () => {
    const layout = layoutOf(
      'T      PIC X(12).',
      'Z-U    PIC 9(6).',
      'Z-S    PIC S9(5)V99.',
      'Z-L    PIC S9(4) SIGN LEADING.',
      'Z-SEP  PIC S9(3)V9 SIGN TRAILING SEPARATE.',
      'Z-LSEP PIC S9(3) SIGN LEADING SEPARATE.',
      'P-ODD  PIC S9(9)V999 COMP-3.',
      'P-EVEN PIC S9(4)V99 COMP-3.',
      'P-U    PIC 9(5) COMP-3.',
      'B-2    PIC S9(4) COMP.',
      'B-4    PIC 9(9) COMP.',
      'B-8    PIC S9(16)V99 COMP.',
    );
    const random = seededRandom(37);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
    const signed = (text: string) => (random() < 0.5 ? `-${text}` : text);
    const decimal = (int: number, scale: number) => {
      const whole = String(Number(digits(1 + Math.floor(random() * int))));
      return scale ? `${whole}.${digits(scale)}` : whole;
    };
    const text = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -./';

    for (const ccsid of SUPPORTED_CCSIDS) {
      it(`CCSID ${ccsid}: 200 random records decode to the values they were encoded from`, () => {
        const encoder = compileRecordEncoder(layout, ccsid);
        const decoder = compileRecordDecoder(layout, ccsid);
        for (let n = 0; n < 200; n++) {
          const values = {
            T: Array.from(
              { length: 1 + Math.floor(random() * 11) },
              () => text[Math.floor(random() * text.length)],
            )
              .join('')
              .trimEnd()
              .padStart(1, 'X'),
            'Z-U': digits(6),
            'Z-S': signed(decimal(5, 2)),
            'Z-L': signed(decimal(4, 0)),
            'Z-SEP': signed(decimal(3, 1)),
            'Z-LSEP': signed(decimal(3, 0)),
            'P-ODD': signed(decimal(9, 3)),
            'P-EVEN': signed(decimal(4, 2)),
            'P-U': decimal(5, 0),
            'B-2': signed(decimal(4, 0)),
            'B-4': decimal(9, 0),
            'B-8': signed(decimal(16, 2)),
          };
          const decoded = decoder.decode(encoder.encode(values));
          // The decoder prints negative zero as zero; so must the expectation.
          const normalized = Object.fromEntries(
            Object.entries(values).map(([k, v]) => [k, /^-0(\.0+)?$/.test(v) ? v.slice(1) : v]),
          );
          expect(decoded).to.deep.equal(normalized);
        }
      });
    }
  });

  describe('bytes as IBM writes them', () => {
    it('packed decimal: sign nibble C, D or F, and a spare high nibble of 0 for an even digit count', () => {
      const layout = layoutOf('A PIC S9(4) COMP-3.', 'B PIC S9(3) COMP-3.', 'C PIC 9(3) COMP-3.');
      const bytes = compileRecordEncoder(layout, 37).encode({ A: '1234', B: '-12', C: '7' });
      expect(bytes.toString('hex')).to.equal('01234c012d007f');
    });

    it('zoned decimal: zone F, the sign overpunched on the last digit (C positive, D negative)', () => {
      const layout = layoutOf('A PIC S9(3).', 'B PIC S9(3).', 'C PIC 9(3).');
      const bytes = compileRecordEncoder(layout, 37).encode({ A: '12', B: '-120', C: '5' });
      expect(bytes.toString('hex')).to.equal('f0f1c2f1f2d0f0f0f5');
    });

    it('text is padded with EBCDIC spaces, and FILLER is spaces', () => {
      const layout = layoutOf('A PIC X(4).', 'FILLER PIC X(2).');
      expect(compileRecordEncoder(layout, 37).encode({ A: 'Ab' }).toString('hex')).to.equal('c18240404040');
    });
  });

  describe('refuses what it cannot write exactly', () => {
    const layout = layoutOf('Q PIC S9(3)V99 COMP-3.', 'U PIC 9(2).', 'T PIC X(3).');
    const ok = { Q: '1.50', U: '7', T: 'AB' };

    it('too many digits', () =>
      expect(encodeError(layout, { ...ok, Q: '1234' }).message).to.contain('needs more than 5 digits'));
    it('more decimal places than the PICTURE, unless they are zeros', () => {
      expect(encodeError(layout, { ...ok, Q: '1.234' }).message).to.contain('more than 2 decimal place');
      expect(compileRecordEncoder(layout, 37).encode({ ...ok, Q: '1.2300' })).to.have.length(8);
    });
    it('a negative value in an unsigned field', () =>
      expect(encodeError(layout, { ...ok, U: '-1' }).message).to.contain('unsigned'));
    it('text longer than the field', () =>
      expect(encodeError(layout, { ...ok, T: 'ABCD' }).message).to.contain('longer than 3'));
    it('a character the code page does not have', () =>
      expect(() => encodeEbcdic('€', 37)).to.throw(RecordEncodeError, 'not in CCSID 37'));
    it('a missing field', () => {
      const { T: _t, ...rest } = ok;
      expect(encodeError(layout, rest).message).to.contain('T: no value');
    });
    it('a value that is not a number', () =>
      expect(encodeError(layout, { ...ok, Q: '1,5' }).message).to.contain('not a decimal number'));
  });
});
