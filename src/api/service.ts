import type { Logger } from '../observability/logger.js';
import type { RoleHandle, RoleHealth, StartRole } from '../service/role.js';
import { createStockDb } from '../stock/db.js';
import { stockMigrationSource } from '../stock/migrate.js';
import { postgresStockReader } from '../stock/postgres/stock-reader.js';
import type { ApiOptions } from './options.js';
import { buildApi } from './server.js';

/** The API counts nothing of its own: its requests are in the Prometheus metrics. */
export type ApiStats = Readonly<Record<string, never>>;

export type ApiHandle = RoleHandle<ApiStats> & { readonly url: string };

/** Its health is its readiness (GET /ready): the stock database answers and its schema is migrated. */
async function readiness(db: ReturnType<typeof createStockDb>): Promise<{ ready: boolean; reason?: string }> {
  await db.raw('select 1');
  const [, pending] = (await db.migrate.list({ migrationSource: stockMigrationSource })) as [
    unknown[],
    unknown[],
  ];
  return pending.length === 0
    ? { ready: true }
    : { ready: false, reason: `${pending.length} stock database migration(s) not applied yet` };
}

/** The API serves reads; the schema belongs to the materializer, which migrates it. */
export async function startApi(options: ApiOptions, log: Logger): Promise<ApiHandle> {
  const db = createStockDb(options, { applicationName: 'stockline-api' });
  const app = await buildApi({
    stock: postgresStockReader(db),
    token: options.token,
    logger: log,
    ready: () => readiness(db),
  });
  const url = await app.listen({ host: options.host, port: options.port });
  log.info({ url, auth: options.token ? 'bearer token' : 'open' }, 'stock API listening');
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopped = false;
  const handle: ApiHandle = {
    url,
    done,
    async health(): Promise<RoleHealth> {
      if (stopped) return { ok: false, reason: 'the stock API stopped' };
      // As GET /ready: the database's own error text (hosts, users, SQL) goes to the log only.
      const state = await readiness(db).catch((e: unknown) => {
        log.warn({ err: e }, 'health check failed');
        return { ready: false, reason: 'the stock database cannot be reached or read (details in the log)' };
      });
      return state.ready ? { ok: true } : { ok: false, reason: state.reason ?? 'not ready' };
    },
    stats: () => ({}),
    async stop() {
      stopped = true;
      await app.close();
      await db.destroy();
      resolveDone();
    },
  };
  return handle;
}
startApi satisfies StartRole<ApiOptions, ApiStats>;
