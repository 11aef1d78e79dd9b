// Writes src/sources/mainframe/codepages.generated.ts: one 256-character table per supported
// EBCDIC code page, read from the system's glibc iconv (the npm iconv packages know no EBCDIC).
// Run: npx tsx scripts/gen-codepages.ts
import { writeFileSync } from 'node:fs';
import {
  ICONV_CODE_PAGE_NAMES,
  UNCONVERTIBLE_BYTE,
  iconvVersion,
  readCodePageFromIconv,
} from '../src/sources/mainframe/iconv-reference.js';

const OUTPUT = 'src/sources/mainframe/codepages.generated.ts';

/** Printable ASCII stays readable; everything else (and the quote and backslash) is a \uXXXX escape. */
function literalChar(char: string): string {
  const code = char.charCodeAt(0);
  if (char.length !== 1) {
    // The decoder indexes one UTF-16 unit per byte; a code page outside the BMP would break that.
    throw new Error(`code page maps a byte to ${JSON.stringify(char)}, which is not one UTF-16 unit`);
  }
  if (code >= 0x20 && code <= 0x7e && char !== "'" && char !== '\\') return char;
  return '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
}

function tableSource(ccsid: string, iconvName: string): string {
  const table = readCodePageFromIconv(iconvName);
  table.forEach((char, byte) => {
    if (char === UNCONVERTIBLE_BYTE) unconvertible.push(`${iconvName} 0x${byte.toString(16).toUpperCase()}`);
  });
  const rows: string[] = [];
  for (let row = 0; row < 16; row++) {
    const chars = table.slice(row * 16, row * 16 + 16).map(literalChar);
    rows.push(`  '${chars.join('')}', // 0x${(row * 16).toString(16).toUpperCase().padStart(2, '0')}`);
  }
  return `/** CCSID ${ccsid} (iconv ${iconvName}): the character at index b is what byte b decodes to. */
const CCSID_${ccsid} = [
${rows.join('\n')}
].join('');
`;
}

const entries = Object.entries(ICONV_CODE_PAGE_NAMES);
const unconvertible: string[] = [];
// Tables first: reading them fills `unconvertible`, which the header reports.
const tables = entries.map(([ccsid, name]) => tableSource(ccsid, name));
const unconvertibleNote =
  unconvertible.length === 0
    ? 'iconv converted every byte of these code pages'
    : `these bytes were unconvertible: ${unconvertible.join(', ')}`;

const source = `// GENERATED FILE: do not edit by hand.
// Written by scripts/gen-codepages.ts (run \`npx tsx scripts/gen-codepages.ts\`) from the system's
// glibc iconv (${iconvVersion()}), one run over all 256 bytes per code page.
// codepages.test.ts checks every byte of every table against the system iconv.
// A byte iconv cannot convert maps to U+FFFD; ${unconvertibleNote}.

${tables.join('\n')}
/** The tables by CCSID. */
export const CODE_PAGE_TABLES = {
${entries.map(([ccsid]) => `  ${ccsid}: CCSID_${ccsid},`).join('\n')}
} as const;
`;

writeFileSync(OUTPUT, source);
console.log(`wrote ${OUTPUT} (CCSID ${entries.map(([ccsid]) => ccsid).join(', ')})`);
