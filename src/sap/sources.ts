// Picks the SAP source adapter by `sap.driver`, checks the catalog, and hands the capture a SapSource.
import { MARD_OPTIONAL, MARD_REQUIRED, MATDOC_OPTIONAL, MATDOC_REQUIRED, selectColumns } from './columns.js';
import type { OpenSqlAdapter, SapConnectionOptions, SapSource, SapSourceTables, SqlAdapter } from './port.js';
import { sqlSapSource } from './sql-source.js';

export type SapDriver = 'hana' | 'postgres';
export const SAP_DRIVERS: readonly SapDriver[] = ['hana', 'postgres'];

export interface SapSourceSettings {
  readonly driver: SapDriver;
  readonly connection: SapConnectionOptions;
  /** As the database names it: HANA 'SAPABAP1', the stand-in 'sapabap1'. */
  readonly schema: string;
  readonly matdocTable: string;
  readonly mardTable: string;
}

/**
 * The adapter module of a driver, loaded only when configured: `@sap/hana-client` is an optional
 * dependency, and the PostgreSQL one is not needed in production.
 */
async function adapterOf(driver: SapDriver): Promise<OpenSqlAdapter> {
  if (driver === 'postgres') return (await import('./postgres/source.js')).openConnection;
  // Loading the HANA adapter loads nothing of @sap/hana-client: it loads the package when it
  // connects, and says how to install it when it is missing (src/sap/hana/driver.ts).
  return (await import('./hana/source.js')).openConnection;
}

export interface OpenedSapSource {
  readonly source: SapSource;
  /** The tables and the columns selected from them (after the catalog check). */
  readonly tables: SapSourceTables;
}

/**
 * Connects, reads the columns of MATDOC and MARD from the catalog, refuses a missing table or
 * required column (SapSchemaError), and returns the source reading the columns selected.
 */
export async function openSapSource(
  settings: SapSourceSettings,
  open?: OpenSqlAdapter,
): Promise<OpenedSapSource> {
  const adapter: SqlAdapter = await (open ?? (await adapterOf(settings.driver)))(settings.connection);
  try {
    const columnsOf = async (table: string) =>
      (await adapter.connection.query(adapter.dialect.columnsStatement, [settings.schema, table])).map((r) =>
        String(r.COLUMN_NAME).toUpperCase(),
      );
    const tables: SapSourceTables = {
      schema: settings.schema,
      matdoc: {
        table: settings.matdocTable,
        columns: selectColumns(
          settings.matdocTable,
          await columnsOf(settings.matdocTable),
          MATDOC_REQUIRED,
          MATDOC_OPTIONAL,
        ),
      },
      mard: {
        table: settings.mardTable,
        columns: selectColumns(
          settings.mardTable,
          await columnsOf(settings.mardTable),
          MARD_REQUIRED,
          MARD_OPTIONAL,
        ),
      },
    };
    return { source: sqlSapSource(adapter, tables), tables };
  } catch (e) {
    await adapter.connection.close().catch(() => undefined);
    throw e;
  }
}
