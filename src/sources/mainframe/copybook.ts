// Parses a COBOL copybook into a RecordLayout: the entries (copybook-entries.ts) are nested by
// level number, USAGE and SIGN on a group pass down to its items, and each elementary item gets
// its offset and length from its PICTURE and USAGE.
import path from 'node:path';
import { readDataEntries, type DataEntry, type Usage } from './copybook-entries.js';
import { tokenizeCopybook } from './copybook-lexer.js';
import { CopybookError } from './errors.js';
import {
  MAX_BINARY_DIGITS,
  MAX_NUMERIC_DIGITS,
  binaryLength,
  packedLength,
  type LayoutField,
  type RecordLayout,
  type ZonedSign,
} from './layout.js';

export interface ParseCopybookOptions {
  /** The copybook's file name, for error messages (`WHMOVE.cpy:12: ...`). */
  file: string;
  /** Which 01 record to lay out when the copybook holds more than one. */
  record?: string;
}

interface ItemNode {
  readonly entry: DataEntry;
  readonly children: ItemNode[];
}

/** Parses copybook text and lays out its record; throws CopybookError naming file and line. */
export function parseCopybook(text: string, options: ParseCopybookOptions): RecordLayout {
  const { file } = options;
  const entries = readDataEntries(tokenizeCopybook(text, file), file);
  const root = chooseRecord(nestByLevel(entries, file), options);
  const collector: FieldCollector = { file, fields: [], lineOfName: new Map() };
  const length = layOut(root, { offset: 0, subscripts: [], usage: 'display' }, collector);
  return { name: root.entry.name ?? path.parse(file).name, length, fields: collector.fields };
}

/**
 * Builds the item trees, one per 01 record: each entry goes under the nearest earlier entry with
 * a lower level. A copybook that starts below 01 (the program supplies the 01) gets an unnamed root.
 */
function nestByLevel(entries: readonly DataEntry[], file: string): ItemNode[] {
  const first = entries[0];
  if (first === undefined) throw new CopybookError(file, 1, 'no data description entries found');
  const records: ItemNode[] = [];
  let open: ItemNode[] = []; // the chain of groups from the record down to the last entry
  if (first.level !== 1) {
    const root: ItemNode = { entry: { line: first.line, level: 0, name: undefined }, children: [] };
    records.push(root);
    open.push(root);
  }
  for (const entry of entries) {
    const node: ItemNode = { entry, children: [] };
    if (entry.level === 1) {
      if (first.level !== 1) {
        throw new CopybookError(file, entry.line, 'a 01 record follows items that belong to no 01 record');
      }
      records.push(node);
      open = [node];
      continue;
    }
    let closed: ItemNode | undefined;
    while ((open[open.length - 1]?.entry.level ?? 0) >= entry.level) closed = open.pop();
    // Going back up, the level must be one already used at that depth (05 under 01, not 03).
    if (closed !== undefined && closed.entry.level !== entry.level) {
      throw new CopybookError(
        file,
        entry.line,
        `level ${pad(entry.level)} does not match the level of the items it follows (${pad(closed.entry.level)})`,
      );
    }
    const parent = open[open.length - 1];
    if (parent === undefined) throw new CopybookError(file, entry.line, 'the entry belongs to no record');
    parent.children.push(node);
    open.push(node);
  }
  return records;
}

function chooseRecord(records: readonly ItemNode[], options: ParseCopybookOptions): ItemNode {
  const names = records.map((r) => r.entry.name ?? 'FILLER');
  if (options.record !== undefined) {
    const wanted = options.record.toUpperCase();
    const found = records.find((r) => r.entry.name?.toUpperCase() === wanted);
    if (found === undefined) {
      throw new CopybookError(
        options.file,
        1,
        `no record named ${options.record}; found ${names.join(', ')}`,
      );
    }
    return found;
  }
  const [first, second] = records;
  if (first === undefined) throw new CopybookError(options.file, 1, 'no record found');
  if (second !== undefined) {
    throw new CopybookError(
      options.file,
      second.entry.line,
      `the copybook holds several records (${names.join(', ')}); say which one to use`,
    );
  }
  return first;
}

interface FieldCollector {
  readonly file: string;
  readonly fields: LayoutField[];
  /** Copybook line of each field name, to name both lines when a name comes twice. */
  readonly lineOfName: Map<string, number>;
}

interface Placement {
  offset: number;
  /** OCCURS subscripts of the enclosing tables, outermost first. */
  subscripts: number[];
  /** USAGE inherited from the enclosing groups. */
  usage: Usage;
  /** SIGN inherited from the enclosing groups. */
  sign?: ZonedSign;
}

/** Adds the fields of `node` placed at `at.offset`, each OCCURS element in turn; returns its bytes. */
function layOut(node: ItemNode, at: Placement, collector: FieldCollector): number {
  const { entry } = node;
  const inherited: Placement = { ...at, usage: entry.usage ?? at.usage, sign: entry.sign ?? at.sign };
  const times = entry.occurs ?? 1;
  let offset = at.offset;
  for (let index = 1; index <= times; index++) {
    const subscripts = entry.occurs === undefined ? at.subscripts : [...at.subscripts, index];
    const placed: Placement = { ...inherited, offset, subscripts };
    offset +=
      node.children.length > 0 ? layOutGroup(node, placed, collector) : layOutItem(entry, placed, collector);
  }
  return offset - at.offset;
}

function layOutGroup(node: ItemNode, at: Placement, collector: FieldCollector): number {
  if (node.entry.picture !== undefined) {
    const name = node.entry.name ?? 'FILLER';
    throw new CopybookError(collector.file, node.entry.line, `group item ${name} cannot have a PIC clause`);
  }
  let offset = at.offset;
  for (const child of node.children) offset += layOut(child, { ...at, offset }, collector);
  return offset - at.offset;
}

function layOutItem(entry: DataEntry, at: Placement, collector: FieldCollector): number {
  const field = storageOf(entry, at, collector.file);
  // FILLER takes its bytes but yields no value.
  if (entry.name !== undefined) {
    const name = subscripted(entry.name, at.subscripts);
    const earlier = collector.lineOfName.get(name);
    if (earlier !== undefined) {
      // Decoded records are keyed by name, so COBOL's qualification (X OF GROUP) has no equivalent.
      throw new CopybookError(
        collector.file,
        entry.line,
        `data name ${name} is already used on line ${earlier}`,
      );
    }
    collector.lineOfName.set(name, entry.line);
    collector.fields.push({ name, offset: at.offset, ...field });
  }
  return field.length;
}

/** Kind, length, digits, scale and sign of an elementary item from its PICTURE and USAGE. */
function storageOf(entry: DataEntry, at: Placement, file: string): Omit<LayoutField, 'name' | 'offset'> {
  const fail = (problem: string): never => {
    throw new CopybookError(file, entry.line, `${entry.name ?? 'FILLER'}: ${problem}`);
  };
  const picture = entry.picture?.parsed;
  if (picture === undefined) return fail('no PIC clause and no subordinate items');
  if (picture.category === 'alphanumeric') {
    if (at.usage !== 'display') fail(`a PIC ${entry.picture?.text ?? ''} item cannot be USAGE ${at.usage}`);
    if (entry.sign !== undefined) fail('a SIGN clause needs a signed numeric item');
    return { kind: 'text', length: picture.length, digits: 0, scale: 0, signed: false };
  }
  const { digits, scale, signed } = picture;
  if (digits > MAX_NUMERIC_DIGITS) fail(`${digits} digits is more than COBOL allows (${MAX_NUMERIC_DIGITS})`);
  if (entry.sign !== undefined && !signed) fail("a SIGN clause needs a signed picture ('S')");
  if (entry.sign !== undefined && at.usage !== 'display') fail('a SIGN clause only applies to USAGE DISPLAY');
  const numeric = { digits, scale, signed };
  switch (at.usage) {
    case 'packed':
      return { kind: 'packed', length: packedLength(digits), ...numeric };
    case 'binary':
      if (digits > MAX_BINARY_DIGITS) {
        fail(`a binary item holds at most ${MAX_BINARY_DIGITS} digits, not ${digits}`);
      }
      return { kind: 'binary', length: binaryLength(digits), ...numeric };
    case 'display': {
      if (!signed) return { kind: 'zoned', length: digits, ...numeric };
      const sign = at.sign ?? { position: 'trailing', separate: false };
      return { kind: 'zoned', length: digits + (sign.separate ? 1 : 0), ...numeric, sign };
    }
  }
}

function subscripted(name: string, subscripts: readonly number[]): string {
  return subscripts.length === 0 ? name : `${name}(${subscripts.join(',')})`;
}

function pad(level: number): string {
  return String(level).padStart(2, '0');
}
