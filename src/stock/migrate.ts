import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';
import { stockDbError } from './errors.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const MIGRATION_FILE = /^(\d{4}_[a-z0-9_]+)\.(ts|js)$/;

/**
 * knex's own migration tool, with a migration source that names a migration without its
 * extension. With `directory` knex records "0001_stock_tables.ts" when run through tsx and then
 * calls the database corrupt when the compiled service finds "0001_stock_tables.js"; here both
 * are "0001_stock_tables". Files are imported, so the ESM modules work in src/ and in dist/.
 */
export const stockMigrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    const files = await readdir(MIGRATIONS_DIR);
    const byName = new Map<string, string>();
    for (const file of files.sort()) {
      const match = MIGRATION_FILE.exec(file);
      if (match && !byName.has(match[1]!)) byName.set(match[1]!, file);
    }
    return [...byName.values()];
  },
  getMigrationName(file) {
    return MIGRATION_FILE.exec(file)?.[1] ?? file;
  },
  async getMigration(file) {
    return (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as Knex.Migration;
  },
};

/**
 * Brings the stock database schema up to date. Several processes may start at once: knex
 * serialises them on its lock row, and the first run on an empty database can still race on
 * creating knex's own tables, so a failed attempt is retried a few times.
 */
export async function migrateStockDb(db: Knex, log?: Logger): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [, applied] = (await db.migrate.latest({ migrationSource: stockMigrationSource })) as [
        number,
        string[],
      ];
      if (applied.length > 0) log?.info({ migrations: applied }, 'stock database migrated');
      return applied;
    } catch (e) {
      if (attempt >= 5) throw stockDbError('migrating the schema', e);
      log?.warn({ err: e, attempt }, 'stock database migration attempt failed; retrying');
      await sleep(200 * attempt);
    }
  }
}
