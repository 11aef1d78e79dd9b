import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { compileApiOptions } from '../../src/api/options.js';
import { startApi, type ApiHandle } from '../../src/api/service.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { compileMapperOptions } from '../../src/mapper/options.js';
import { startMapper } from '../../src/mapper/service.js';
import { compileMaterializerOptions } from '../../src/materializer/options.js';
import { startMaterializer } from '../../src/materializer/service.js';
import type { RoleHandle } from '../../src/service/role.js';
import { ean13 } from '../../src/dev/samples/sample-data.js';
import { isolatedMapperConfig, uniqueSuffix } from '../support/config.js';
import { connectStoreMariadb, connectStorePostgres } from '../support/databases.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

const log = createLogger({ level: 'warn' });

/** Polls the API until the row shows the expected quantity; returns when it did, in ms after `since`. */
async function waitForStock(
  api: ApiHandle,
  sku: string,
  location: string,
  onHand: string,
  since: number,
  timeoutMs = 60000,
): Promise<number> {
  let last = '';
  while (Date.now() - since < timeoutMs) {
    const response = await fetch(`${api.url}/v1/stock/${sku}/locations/${location}`);
    if (response.status === 200) {
      const body = (await response.json()) as { onHand: string };
      last = body.onHand;
      if (body.onHand === onHand) return Date.now() - since;
    }
    await sleep(20);
  }
  throw new Error(
    `${sku}@${location} did not reach ${onHand} within ${timeoutMs} ms (last seen: ${last || 'no row'})`,
  );
}

describe('end to end: a store database row change, through Debezium, mapper and materializer, to the stock API (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  const roles: RoleHandle[] = [];
  let api: ApiHandle;
  let config: StocklineConfig;
  const latencies: Record<string, number> = {};

  before(async () => {
    const env = await ensureStack();
    const suffix = uniqueSuffix();
    config = isolatedMapperConfig(env.config, suffix);
    config.materializer.groupId = `test-materializer-${suffix}`;
    config.materializer.stockTopic = `test.inventory.stock.${suffix}`;
    config.api.port = 0;
    roles.push(await startMapper(compileMapperOptions(config), log));
    roles.push(await startMaterializer(compileMaterializerOptions(config), log));
    api = await startApi(compileApiOptions(config), log);
    roles.push(api);
  });

  after(async () => {
    for (const role of roles.reverse()) await role.stop().catch(() => undefined);
    // The measured latencies are part of the report.
    console.log(`      source commit -> API answer: ${JSON.stringify(latencies)} ms`);
  });

  it('a count and a sale in the store PostgreSQL show as the new quantity', async () => {
    const sku = `E${randomInt(10_000_000, 99_999_999)}`;
    const client = await connectStorePostgres(await ensureStack());
    try {
      await client.query("INSERT INTO items (sku, barcode, description, unit) VALUES ($1, $2, 'E2E', 'EA')", [
        sku,
        ean13(`27${sku.slice(1)}00`),
      ]);
      await client.query(
        "INSERT INTO stock_on_hand (location_id, sku, quantity, unit, updated_at) VALUES ('S001', $1, 40, 'EA', now() - interval '1 minute')",
        [sku],
      );
      const levelAt = Date.now();
      await waitForStock(api, sku, 'S001', '40', levelAt);
      await client.query(
        "INSERT INTO sale_lines (sale_id, line_no, location_id, sku, quantity, unit, unit_price, sold_at) VALUES ($2, 1, 'S001', $1, 3, 'EA', 1.99, now())",
        [sku, randomInt(100_000_000, 999_999_999)],
      );
      const soldAt = Date.now();
      latencies.postgres = await waitForStock(api, sku, 'S001', '37', soldAt);
    } finally {
      await client.end();
    }
  });

  it('a count and a sale in the store MariaDB show as the new quantity', async () => {
    const sku = `E${randomInt(10_000_000, 99_999_999)}`;
    const env = await ensureStack();
    const connection = await connectStoreMariadb(env);
    try {
      await connection.execute(
        "INSERT INTO items (sku, barcode, description, unit) VALUES (?, ?, 'E2E', 'KG')",
        [sku, ean13(`26${sku.slice(1)}00`)],
      );
      await connection.execute(
        "INSERT INTO stock_on_hand (location_id, sku, quantity, unit, updated_at) VALUES ('S101', ?, 10.5, 'KG', UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE)",
        [sku],
      );
      await waitForStock(api, sku, 'S101', '10.5', Date.now());
      await connection.execute(
        "INSERT INTO sale_lines (sale_id, line_no, location_id, sku, quantity, unit, unit_price, sold_at) VALUES (?, 1, 'S101', ?, 0.25, 'KG', 4.99, UTC_TIMESTAMP(6))",
        [randomInt(100_000_000, 999_999_999), sku],
      );
      const soldAt = Date.now();
      latencies.mariadb = await waitForStock(api, sku, 'S101', '10.25', soldAt);
    } finally {
      await connection.end();
    }
    expect(latencies.mariadb).to.be.a('number');
  });
});
