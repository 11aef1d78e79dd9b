import type { StocklineConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { RoleHandle, StartRole } from '../service/role.js';
import { createStockDb } from '../stock/db.js';
import { stockMigrationSource } from '../stock/migrate.js';
import { postgresStockReader } from '../stock/postgres/stock-reader.js';
import { checkApiExposure } from './auth.js';
import { buildApi } from './server.js';

export interface ApiHandle extends RoleHandle {
  /** The address it listens on, e.g. http://127.0.0.1:8080 */
  url: string;
}

/** The API serves reads; the schema belongs to the materializer, which migrates it. */
export async function startApiWith(config: Readonly<StocklineConfig>, log: Logger): Promise<ApiHandle> {
  checkApiExposure(config.api);
  const db = createStockDb(config, { applicationName: 'stockline-api' });
  const app = await buildApi({
    stock: postgresStockReader(db),
    token: config.api.token,
    logger: log,
    ready: async () => {
      await db.raw('select 1');
      const [, pending] = (await db.migrate.list({ migrationSource: stockMigrationSource })) as [
        unknown[],
        unknown[],
      ];
      return pending.length === 0
        ? { ready: true }
        : { ready: false, reason: `${pending.length} stock database migration(s) not applied yet` };
    },
  });
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  log.info({ url, auth: config.api.token ? 'bearer token' : 'open' }, 'stock API listening');
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  return {
    url,
    done,
    async stop() {
      await app.close();
      await db.destroy();
      resolveDone();
    },
  };
}

export const startApi: StartRole = startApiWith;
