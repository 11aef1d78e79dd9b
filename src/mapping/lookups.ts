import { MappingError } from './errors.js';

/** A lookup table as loaded from mappings/lookups/<name>.csv or .yaml: rows of strings. */
export interface LookupTableData {
  name: string;
  file: string;
  columns: string[];
  rows: Record<string, string>[];
  /** Line of each row in its file, for duplicate-key errors. */
  lines: number[];
}

export type LookupFn = (key: Record<string, string>) => Record<string, string>;

const SEP = '\u0000';

/**
 * Lookup tables indexed once per key-column set, so that a lookup in the hot path is one Map
 * get. A key that is not in the table is an error for that event, never a silent default: an
 * unknown unit conversion taken as 1 would turn a 25 kg bag into a 1 kg bag.
 */
export class Lookups {
  private readonly tables = new Map<string, LookupTableData>();
  private readonly indexes = new Map<string, Map<string, Record<string, string>>>();

  constructor(tables: LookupTableData[]) {
    for (const t of tables) this.tables.set(t.name, t);
  }

  names(): string[] {
    return [...this.tables.keys()].sort();
  }

  table(name: string): LookupTableData | undefined {
    return this.tables.get(name);
  }

  /** Like resolver, but a missing key gives undefined instead of an error. */
  finder(
    name: string,
    keyColumns: string[],
  ): (key: Record<string, string>) => Record<string, string> | undefined {
    const index = this.index(name, keyColumns);
    return (key) => index.get(keyColumns.map((c) => key[c] ?? '').join(SEP));
  }

  /**
   * Builds (once) the index of a table over the given key columns; throws a plain Error with
   * a reason when the table or a column does not exist or two rows share a key.
   */
  resolver(name: string, keyColumns: string[]): LookupFn {
    const found = this.index(name, keyColumns);
    return (key) => {
      const row = found.get(keyColumns.map((c) => key[c] ?? '').join(SEP));
      if (!row) {
        throw new MappingError(
          `lookup table "${name}" has no row with ${keyColumns.map((c) => `${c}=${JSON.stringify(key[c])}`).join(', ')}`,
          { lookup: name },
        );
      }
      return row;
    };
  }

  private index(name: string, keyColumns: string[]): Map<string, Record<string, string>> {
    const table = this.tables.get(name);
    if (!table)
      throw new Error(
        `lookup table "${name}" does not exist; tables: ${this.names().join(', ') || '(none)'}`,
      );
    const unknown = keyColumns.filter((c) => !table.columns.includes(c));
    if (unknown.length > 0) {
      throw new Error(
        `lookup table "${name}" (${table.file}) has no column ${unknown.join(', ')}; columns: ${table.columns.join(', ')}`,
      );
    }
    const indexKey = `${name}${SEP}${keyColumns.join(SEP)}`;
    let index = this.indexes.get(indexKey);
    if (!index) {
      index = new Map();
      table.rows.forEach((row, i) => {
        const k = keyColumns.map((c) => row[c] ?? '').join(SEP);
        if (index!.has(k)) {
          throw new Error(
            `lookup table "${name}" (${table.file}:${table.lines[i] ?? '?'}) has two rows with ${keyColumns.map((c) => `${c}=${row[c]}`).join(', ')}`,
          );
        }
        index!.set(k, row);
      });
      this.indexes.set(indexKey, index);
    }
    return index;
  }
}
