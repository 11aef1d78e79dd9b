import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { CODE_PAGE_TABLES } from './codepages.generated.js';
import { parseCopybook } from './copybook.js';
import { RecordDecodeError } from './errors.js';
import type { RecordLayout } from './layout.js';
import { compileRecordDecoder, decodeRecord, type RecordValues } from './record.js';

const samples = path.resolve('../shared/samples/mainframe');

interface SampleExpectation extends RecordValues {
  file: string;
}

/** A one-record copybook from its 05-level lines. */
function layoutOf(...items: string[]): RecordLayout {
  const lines = [' 01  REC.', ...items.map((item) => `     05  ${item}`)];
  return parseCopybook(lines.map((line) => `      ${line}`).join('\n'), { file: 'TEST.cpy' });
}

/** Text to CCSID 037 bytes, for building records by hand. */
function ebcdic037(text: string): Buffer {
  const table = [...CODE_PAGE_TABLES[37]];
  return Buffer.from([...text].map((char) => table.indexOf(char)));
}

function decodeOne(item: string, bytes: number[] | Buffer): string | undefined {
  const layout = layoutOf(item);
  const values = decodeRecord(layout, Buffer.from(bytes), 37);
  const name = layout.fields[0]?.name ?? '';
  return values[name];
}

function decodeError(layout: RecordLayout, bytes: number[] | Buffer): RecordDecodeError {
  try {
    decodeRecord(layout, Buffer.from(bytes), 37);
  } catch (e) {
    expect(e).to.be.instanceOf(RecordDecodeError);
    return e as RecordDecodeError;
  }
  throw new Error('expected the record to be refused');
}

describe('record decoder', () => {
  describe('the WHMOVE samples (CCSID 037)', () => {
    const layout = parseCopybook(readFileSync(path.join(samples, 'WHMOVE.cpy'), 'utf8'), {
      file: 'WHMOVE.cpy',
    });
    const expectations = JSON.parse(
      readFileSync(path.join(samples, 'whmove-decoded.json'), 'utf8'),
    ) as SampleExpectation[];
    const decoder = compileRecordDecoder(layout, 37);

    it('has four samples to check', () => expect(expectations).to.have.length(4));

    for (const { file, ...expected } of expectations) {
      it(`decodes ${file} to exactly the fields of whmove-decoded.json`, () => {
        const record = readFileSync(path.join(samples, file));
        expect(decoder.decode(record)).to.deep.equal(expected);
      });
    }
  });

  describe('text', () => {
    it('drops trailing EBCDIC spaces and keeps leading and inner ones', () => {
      expect(decodeOne('T PIC X(8).', ebcdic037(' A B    '))).to.equal(' A B');
      expect(decodeOne('T PIC X(3).', ebcdic037('   '))).to.equal('');
    });

    it('decodes in the record CCSID: the euro sign in 1140', () => {
      const layout = layoutOf('PRICE-CUR PIC X(2).');
      expect(decodeRecord(layout, Buffer.from([0x9f, 0x40]), 1140)).to.deep.equal({ 'PRICE-CUR': '€' });
      expect(decodeRecord(layout, Buffer.from([0x9f, 0x40]), 37)).to.deep.equal({ 'PRICE-CUR': '¤' });
    });
  });

  describe('packed decimal (COMP-3)', () => {
    it('reads the sign nibble: D and B negative, C, F, A and E positive', () => {
      expect(decodeOne('A PIC S9(5)V99 COMP-3.', [0x01, 0x23, 0x45, 0x6d])).to.equal('-1234.56');
      expect(decodeOne('A PIC S9(5)V99 COMP-3.', [0x01, 0x23, 0x45, 0x6b])).to.equal('-1234.56');
      expect(decodeOne('A PIC S9(5)V99 COMP-3.', [0x01, 0x23, 0x45, 0x6c])).to.equal('1234.56');
      expect(decodeOne('A PIC 9(5)V99 COMP-3.', [0x01, 0x23, 0x45, 0x6f])).to.equal('1234.56');
      expect(decodeOne('A PIC S9(3) COMP-3.', [0x12, 0x3a])).to.equal('123');
    });

    it('keeps one integer digit, all the scale digits, and prints negative zero as zero', () => {
      expect(decodeOne('A PIC S9(5)V99 COMP-3.', [0x00, 0x00, 0x00, 0x5d])).to.equal('-0.05');
      expect(decodeOne('A PIC S9(5)V99 COMP-3.', [0x00, 0x00, 0x00, 0x0d])).to.equal('0.00');
      expect(decodeOne('A PIC SV9(3) COMP-3.', [0x12, 0x3d])).to.equal('-0.123');
    });

    it('reads 31 digits exactly, past what a JS number holds', () => {
      const bytes = Buffer.from('1234567890123456789012345678901D', 'hex'); // 31 digits and the sign
      expect(decodeOne('A PIC S9(29)V99 COMP-3.', bytes)).to.equal('-12345678901234567890123456789.01');
    });

    it('skips the spare nibble of an even digit count, and refuses it when it is not 0', () => {
      expect(decodeOne('A PIC S9(4) COMP-3.', [0x01, 0x23, 0x4c])).to.equal('1234');
      const error = decodeError(layoutOf('A PIC S9(4) COMP-3.'), [0x11, 0x23, 0x4c]);
      expect(error.message).to.equal(
        "A at offset 0 (packed, 3 bytes): the spare high-order nibble is not 0; bytes X'11234C'",
      );
    });

    it('names the field, its offset and the bytes for a nibble that is not a digit', () => {
      const layout = layoutOf('CODE PIC X(2).', 'WM-QUANTITY PIC S9(9)V999 COMP-3.');
      const error = decodeError(layout, [0xc1, 0xc2, 0x00, 0x00, 0x01, 0x2a, 0x00, 0x00, 0x0c]);
      expect(error.message).to.equal(
        "WM-QUANTITY at offset 2 (packed, 7 bytes): byte 3 holds a nibble that is not a digit; bytes X'0000012A00000C'",
      );
      expect(error.context).to.deep.equal({
        field: 'WM-QUANTITY',
        fieldOffset: 2,
        fieldLength: 7,
        bytes: "X'0000012A00000C'",
      });
      expect(error.code).to.equal('STOCKLINE_RECORD_UNDECODABLE');
      expect(error.retriable).to.equal(false);
    });

    it('refuses a missing sign nibble and a negative sign in an unsigned field', () => {
      expect(decodeError(layoutOf('A PIC S9(3) COMP-3.'), [0x12, 0x34]).message).to.equal(
        "A at offset 0 (packed, 2 bytes): sign nibble 4 is not a sign; bytes X'1234'",
      );
      expect(decodeError(layoutOf('A PIC 9(3) COMP-3.'), [0x12, 0x3d]).message).to.equal(
        "A at offset 0 (packed, 2 bytes): negative sign in an unsigned field; bytes X'123D'",
      );
    });
  });

  describe('zoned decimal (DISPLAY)', () => {
    it('reads the overpunched sign in the last zone: } (0xD0) is -0, { (0xC0) is +0, J is -1', () => {
      expect(decodeOne('A PIC S9(3).', ebcdic037('12}'))).to.equal('-120');
      expect(decodeOne('A PIC S9(3).', [0xf1, 0xf2, 0xd0])).to.equal('-120');
      expect(decodeOne('A PIC S9(3).', ebcdic037('12{'))).to.equal('120');
      expect(decodeOne('A PIC S9(3).', ebcdic037('00J'))).to.equal('-1');
      expect(decodeOne('A PIC S9(3).', ebcdic037('123'))).to.equal('123');
      expect(decodeOne('A PIC S9(3)V99.', ebcdic037('0123M'))).to.equal('-12.34');
      expect(decodeOne('A PIC S9(3).', ebcdic037('00}'))).to.equal('0');
    });

    it('keeps the leading zeros of an unsigned display number, as the WHMOVE sample expects', () => {
      expect(decodeOne('A PIC 9(5)V99.', ebcdic037('0001250'))).to.equal('00012.50');
      expect(decodeOne('A PIC 9(4).', ebcdic037('0042'))).to.equal('0042');
    });

    it('reads SIGN LEADING overpunch and SIGN SEPARATE bytes', () => {
      expect(decodeOne('A PIC S9(3) SIGN LEADING.', ebcdic037('J23'))).to.equal('-123');
      expect(decodeOne('A PIC S9(3) SIGN LEADING SEPARATE.', ebcdic037('-123'))).to.equal('-123');
      expect(decodeOne('A PIC S9(3) SIGN LEADING SEPARATE.', ebcdic037('+123'))).to.equal('123');
      expect(decodeOne('A PIC S9(1)V9 SIGN TRAILING SEPARATE.', ebcdic037('05-'))).to.equal('-0.5');
    });

    it('names the field and bytes for a byte that is not a digit', () => {
      const layout = layoutOf('CODE PIC X(3).', 'WM-SEQ-NO PIC 9(4).');
      const error = decodeError(layout, ebcdic037('ABC12 4'));
      expect(error.message).to.equal(
        "WM-SEQ-NO at offset 3 (zoned, 4 bytes): byte 2 is not a zoned digit; bytes X'F1F240F4'",
      );
      expect(error.context).to.include({ field: 'WM-SEQ-NO', fieldOffset: 3 });
    });

    it('refuses an overpunch anywhere but the sign position, and a bad separate sign', () => {
      expect(decodeError(layoutOf('A PIC S9(3).'), ebcdic037('J23')).message).to.equal(
        "A at offset 0 (zoned, 3 bytes): byte 0 is not a zoned digit; bytes X'D1F2F3'",
      );
      expect(decodeError(layoutOf('A PIC S9(2) SIGN LEADING SEPARATE.'), ebcdic037(' 12')).message).to.equal(
        "A at offset 0 (zoned, 3 bytes): the separate sign is neither '+' nor '-'; bytes X'40F1F2'",
      );
      expect(decodeError(layoutOf('A PIC 9(2).'), ebcdic037('1}')).message).to.equal(
        "A at offset 0 (zoned, 2 bytes): negative sign in an unsigned field; bytes X'F1D0'",
      );
    });
  });

  describe('binary (COMP)', () => {
    it('reads signed two-complement and unsigned values of 2, 4 and 8 bytes', () => {
      expect(decodeOne('A PIC S9(4) COMP.', [0xff, 0xfe])).to.equal('-2');
      expect(decodeOne('A PIC 9(4) COMP.', [0xff, 0xfe])).to.equal('65534');
      expect(decodeOne('A PIC S9(9) BINARY.', [0x80, 0x00, 0x00, 0x00])).to.equal('-2147483648');
      expect(decodeOne('A PIC 9(9) COMP-4.', [0x80, 0x00, 0x00, 0x00])).to.equal('2147483648');
      expect(decodeOne('A PIC S9(18) COMP.', Array(8).fill(0xff))).to.equal('-1');
      expect(decodeOne('A PIC 9(18) COMP.', Array(8).fill(0xff))).to.equal('18446744073709551615');
      expect(decodeOne('A PIC S9(18) COMP-5.', [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).to.equal(
        '9223372036854775807',
      );
    });

    it('places the implied decimal point', () => {
      expect(decodeOne('A PIC S9(5)V99 COMP.', [0xff, 0xff, 0xff, 0xfb])).to.equal('-0.05');
      expect(decodeOne('A PIC S9(2)V99 COMP.', [0x30, 0x39])).to.equal('123.45');
    });
  });

  it('refuses a record of the wrong length, naming the layout', () => {
    const error = decodeError(layoutOf('A PIC X(4).'), ebcdic037('ABC'));
    expect(error.message).to.equal('record is 3 bytes; layout REC needs 4');
    expect(error.context).to.deep.equal({ layout: 'REC', expectedLength: 4, actualLength: 3 });
  });

  it('reads FILLER bytes without checking or returning them', () => {
    const layout = layoutOf('A PIC 9(2).', 'FILLER PIC 9(2).', 'B PIC X.');
    expect(decodeRecord(layout, Buffer.from([0xf1, 0xf2, 0x00, 0xff, 0xc2]), 37)).to.deep.equal({
      A: '12',
      B: 'B',
    });
  });
});
