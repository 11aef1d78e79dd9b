/** Small helpers for the hand-written PostgreSQL statements. */

/** Collects positional bindings in the order the statement text mentions them. */
export class Bindings {
  readonly values: unknown[] = [];

  /** A parameter with an explicit cast, so that arrays and NULLs have a type. */
  bind(value: unknown, type: string): string {
    this.values.push(value);
    return `?::${type}`;
  }
}

/** A timestamptz as a UTC ISO string with microseconds, the form instants take in the code. */
export const isoUtc = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
