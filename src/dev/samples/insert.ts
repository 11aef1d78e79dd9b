/** One multi-row INSERT per table: the sample loads in a handful of round trips. */
export interface InsertStatement {
  sql: string;
  values: unknown[];
}

export type Dialect = 'postgres' | 'mariadb';

export function multiRowInsert(dialect: Dialect, table: string, rows: readonly object[]): InsertStatement {
  const first = rows[0];
  if (!first) throw new Error(`no rows for ${table}`);
  const columns = Object.keys(first);
  const quote = (name: string) => (dialect === 'postgres' ? `"${name}"` : `\`${name}\``);
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const record = row as Record<string, unknown>;
    const placeholders = columns.map((c) => {
      values.push(record[c]);
      return dialect === 'postgres' ? `$${values.length}` : '?';
    });
    return `(${placeholders.join(', ')})`;
  });
  return {
    sql: `INSERT INTO ${table} (${columns.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`,
    values,
  };
}
