// Reads an EBCDIC code page out of the system's glibc iconv, the reference that
// scripts/gen-codepages.ts generates the tables from and codepages.test.ts checks them against.
// Neither npm iconv package knows EBCDIC; glibc does. Not used at run time: the service decodes
// with the generated tables and never spawns iconv.
import { spawnSync } from 'node:child_process';

/** The glibc iconv name of each supported CCSID. */
export const ICONV_CODE_PAGE_NAMES = {
  37: 'IBM037',
  500: 'IBM500',
  1047: 'IBM1047',
  1140: 'IBM1140',
} as const;

/** What a table holds for a byte iconv cannot convert: the Unicode replacement character. */
export const UNCONVERTIBLE_BYTE = '\uFFFD';

// Every byte under test is followed by these two, so that one iconv run over all 256 bytes can be
// split back into one answer per byte even when `iconv -c` drops a byte it cannot convert: the
// answer for a byte is whatever stands before the next delimiter pair (nothing when dropped).
// EBCDIC 'A' and 'B' (0xC1, 0xC2) are the same letters in every supported code page.
const DELIMITER_BYTES = [0xc1, 0xc2] as const;
const DELIMITER_CODE_POINTS = [0x41, 0x42] as const;

/** The glibc iconv version line, for the generated file's header. */
export function iconvVersion(): string {
  const result = spawnSync('iconv', ['--version'], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return (result.stdout.split('\n')[0] ?? '').trim();
}

/**
 * Decodes all 256 byte values of `iconvName` with one run of the system iconv and returns
 * 256 one-character strings; a byte iconv cannot convert yields UNCONVERTIBLE_BYTE.
 */
export function readCodePageFromIconv(iconvName: string): string[] {
  const input: number[] = [];
  for (let byte = 0; byte < 256; byte++) input.push(byte, ...DELIMITER_BYTES);
  // UTF-32BE gives one fixed-size unit per character, so no UTF-8/UTF-16 parsing is needed.
  const result = spawnSync('iconv', ['-c', '-f', iconvName, '-t', 'UTF-32BE'], {
    input: Buffer.from(input),
  });
  if (result.error) throw new Error(`cannot run the system iconv: ${result.error.message}`);
  // -c makes iconv exit 1 when it dropped something; that is expected and handled below.
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`iconv -f ${iconvName} failed (exit ${result.status}): ${result.stderr.toString()}`);
  }
  const out = result.stdout;
  const codePoints: number[] = [];
  for (let i = 0; i + 4 <= out.length; i += 4) codePoints.push(out.readUInt32BE(i));
  return splitAtDelimiters(codePoints, iconvName);
}

function splitAtDelimiters(codePoints: number[], iconvName: string): string[] {
  const [first, second] = DELIMITER_CODE_POINTS;
  const table: string[] = [];
  let at = 0;
  for (let byte = 0; byte < 256; byte++) {
    // The answer is at most one character, so the delimiter starts at `at` or `at + 1`.
    // A byte that decodes to 'A' gives A A B, which the check on `at + 1` tells from a drop.
    const dropped = codePoints[at] === first && codePoints[at + 1] === second;
    const delimiterAt = dropped ? at : at + 1;
    if (codePoints[delimiterAt] !== first || codePoints[delimiterAt + 1] !== second) {
      throw new Error(`iconv ${iconvName}: output does not line up with the input at byte 0x${hex(byte)}`);
    }
    const answer = codePoints[at];
    table.push(dropped || answer === undefined ? UNCONVERTIBLE_BYTE : String.fromCodePoint(answer));
    at = delimiterAt + 2;
  }
  if (at !== codePoints.length) throw new Error(`iconv ${iconvName}: trailing output after byte 0xFF`);
  return table;
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}
