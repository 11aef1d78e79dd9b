import type { Knex } from 'knex';

/** Small helpers for the hand-written PostgreSQL statements. */

/**
 * Named parameters (knex turns each `:pN` into a positional one), so a statement may mention a
 * parameter where it reads best, and more than once.
 */
export class Bindings {
  readonly values: Record<string, Knex.Value> = {};
  private count = 0;

  /** A parameter with an explicit cast, so that arrays and NULLs have a type. */
  bind(value: unknown, type: string): string {
    const name = `p${this.count++}`;
    this.values[name] = value as Knex.Value;
    return `:${name}::${type}`;
  }
}

/** A timestamptz as a UTC ISO string with microseconds, the form instants take in the code. */
export const isoUtc = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
