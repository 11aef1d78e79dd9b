import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { CODE_PAGE_TABLES } from './codepages.generated.js';
import {
  SUPPORTED_CCSIDS,
  decodeEbcdic,
  ebcdicRangeDecoder,
  isSupportedCcsid,
  type Ccsid,
} from './codepages.js';
import { CodePageError } from './errors.js';
import { ICONV_CODE_PAGE_NAMES, UNCONVERTIBLE_BYTE, readCodePageFromIconv } from './iconv-reference.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));

function hex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

describe('EBCDIC code pages', () => {
  for (const ccsid of SUPPORTED_CCSIDS) {
    const iconvName = ICONV_CODE_PAGE_NAMES[ccsid];

    it(`CCSID ${ccsid}: every one of the 256 bytes decodes as the system iconv ${iconvName} decodes it`, () => {
      const reference = readCodePageFromIconv(iconvName);
      const table = [...CODE_PAGE_TABLES[ccsid]];
      const decoded = [...decodeEbcdic(ALL_BYTES, ccsid)];
      expect(table).to.have.length(256);
      expect(decoded).to.have.length(256);
      const mismatches: string[] = [];
      for (let byte = 0; byte < 256; byte++) {
        const want = reference[byte];
        if (table[byte] !== want || decoded[byte] !== want) {
          mismatches.push(
            `${hex(byte)}: iconv ${JSON.stringify(want)}, table ${JSON.stringify(table[byte])}`,
          );
        }
      }
      expect(mismatches, 'regenerate with npx tsx scripts/gen-codepages.ts').to.deep.equal([]);
    });
  }

  it('knows 1140 as 037 with the euro sign at 0x9F', () => {
    const differing = [...CODE_PAGE_TABLES[37]].flatMap((char, byte) =>
      CODE_PAGE_TABLES[1140][byte] === char ? [] : [byte],
    );
    expect(differing).to.deep.equal([0x9f]);
    expect(decodeEbcdic(Buffer.from([0x9f]), 1140)).to.equal('€');
    expect(decodeEbcdic(Buffer.from([0x9f]), 37)).to.equal('¤');
  });

  it('tells the code pages apart where they differ: brackets in 037 and 1047', () => {
    const brackets = Buffer.from([0xba, 0xbb, 0xad, 0xbd]);
    expect(decodeEbcdic(brackets, 37)).to.equal('[]Ý¨');
    expect(decodeEbcdic(brackets, 1047)).to.equal('Ý¨[]');
  });

  it('decodes text and a byte range without slicing', () => {
    const hello = Buffer.from([0x40, 0xc8, 0x85, 0x93, 0x93, 0x96, 0x40]);
    expect(decodeEbcdic(hello, 500)).to.equal(' Hello ');
    expect(ebcdicRangeDecoder(37)(hello, 1, 6)).to.equal('Hello');
  });

  it('keeps space, plus and minus at the same bytes in every code page (the decoders rely on it)', () => {
    for (const ccsid of SUPPORTED_CCSIDS) {
      expect(decodeEbcdic(Buffer.from([0x40, 0x4e, 0x60]), ccsid)).to.equal(' +-');
    }
  });

  it('refuses a CCSID it has no table for', () => {
    expect(isSupportedCcsid(37)).to.equal(true);
    expect(isSupportedCcsid(1208)).to.equal(false);
    expect(() => ebcdicRangeDecoder(1208 as Ccsid)).to.throw(
      CodePageError,
      'CCSID 1208 is not supported; supported CCSIDs: 37, 500, 1047, 1140',
    );
  });

  it('reads bytes iconv cannot convert as U+FFFD without losing the place of the others', () => {
    // EBCDIC-US leaves 96 byte values undefined: iconv -c drops them.
    const table = readCodePageFromIconv('EBCDIC-US');
    const converted = spawnSync('iconv', ['-c', '-f', 'EBCDIC-US', '-t', 'UTF-32BE'], { input: ALL_BYTES });
    expect(table).to.have.length(256);
    expect(table.filter((char) => char !== UNCONVERTIBLE_BYTE)).to.have.length(converted.stdout.length / 4);
    expect(table[0xc1]).to.equal('A');
    expect(table[0xf9]).to.equal('9');
  });
});
