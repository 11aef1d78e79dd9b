import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { compileApiOptions } from '../../src/api/options.js';
import { startApi, type ApiHandle } from '../../src/api/service.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { createStockDb } from '../../src/stock/db.js';
import { migrateStockDb } from '../../src/stock/migrate.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

const log = createLogger({ level: 'warn' });

async function get(
  api: ApiHandle,
  path: string,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> & { message?: string } }> {
  const response = await fetch(`${api.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : { text }) as Record<
      string,
      unknown
    >,
  };
}

describe('stock API against the real stock database (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let db: Knex;
  let api: ApiHandle;
  let config: StocklineConfig;
  const sku = `A${randomInt(10_000_000, 99_999_999)}`;
  const now = new Date();
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60000);

  before(async () => {
    const env = await ensureStack();
    config = structuredClone(env.config);
    config.api.port = 0;
    db = createStockDb(config);
    await migrateStockDb(db);
    await db('locations')
      .insert([
        {
          id: 'S001',
          kind: 'store',
          region: 'north',
          data_center: 'dc-north',
          name: 'Berlin Alexanderplatz',
          updated_at: now,
        },
        {
          id: 'W001',
          kind: 'warehouse',
          region: 'north',
          data_center: 'dc-north',
          name: 'Warehouse North',
          updated_at: now,
        },
        {
          id: 'S101',
          kind: 'store',
          region: 'south',
          data_center: 'dc-south',
          name: 'München Marienplatz',
          updated_at: now,
        },
      ])
      .onConflict('id')
      .ignore();
    const row = (location: string, onHand: string, version: number) => ({
      sku,
      location,
      on_hand: onHand,
      unit: 'EA',
      version,
      level_as_of: location === 'W001' ? minutesAgo(60) : null,
      last_event_at: minutesAgo(2),
      last_event_id: `id-${location}`,
      negative: onHand.startsWith('-'),
      updated_at: minutesAgo(1),
    });
    await db('stock').insert([row('S001', '12.500', 3), row('W001', '200', 7), row('S101', '-1', 1)]);
    const totals = (onHand: string, locations: number, negative: number) => ({
      on_hand: onHand,
      locations,
      negative_locations: negative,
      updated_at: now,
    });
    await db('stock_totals').insert({ sku, ...totals('211.5', 3, 1) });
    await db('stock_totals_by_region').insert([
      { sku, region: 'north', ...totals('212.5', 2, 0) },
      { sku, region: 'south', ...totals('-1', 1, 1) },
    ]);
    await db('stock_totals_by_kind').insert([
      { sku, location_kind: 'store', ...totals('11.5', 2, 1) },
      { sku, location_kind: 'warehouse', ...totals('200', 1, 0) },
    ]);
    api = await startApi(compileApiOptions(config), log);
  });

  after(async () => {
    await api?.stop();
    for (const table of ['stock', 'stock_totals', 'stock_totals_by_region', 'stock_totals_by_kind'])
      await db(table).where({ sku }).delete();
    await db?.destroy();
  });

  it('gives the stock of a SKU at every location with totals per region and kind, as exact decimals', async () => {
    const { status, body } = await get(api, `/v1/stock/${sku}`);
    expect(status).to.equal(200);
    expect(body.total).to.deep.equal({ onHand: '211.5', locations: 3, negativeLocations: 1 });
    expect(body.byRegion).to.deep.equal([
      { region: 'north', onHand: '212.5', locations: 2, negativeLocations: 0 },
      { region: 'south', onHand: '-1', locations: 1, negativeLocations: 1 },
    ]);
    const locations = body.locations as {
      location: string;
      onHand: string;
      negative: boolean;
      kind: string;
      region: string;
    }[];
    expect(locations.map((l) => [l.location, l.onHand, l.negative, l.kind])).to.deep.equal([
      ['S001', '12.5', false, 'store'],
      ['S101', '-1', true, 'store'],
      ['W001', '200', false, 'warehouse'],
    ]);
  });

  it('gives one SKU at one location with its version and freshness', async () => {
    const { status, body } = await get(api, `/v1/stock/${sku}/locations/W001`);
    expect(status).to.equal(200);
    expect(body).to.include({ onHand: '200', version: '7', region: 'north', lastEventId: 'id-W001' });
    expect(body.freshnessSeconds).to.be.within(110, 400);
    expect(body.levelAsOf).to.equal(minutesAgo(60).toISOString());
  });

  it('pages the stock at a location by SKU, with filters', async () => {
    const first = await get(api, `/v1/locations/S101/stock?limit=1&negative=true&skuPrefix=${sku}`);
    expect(first.status).to.equal(200);
    expect((first.body.items as { sku: string }[]).map((i) => i.sku)).to.deep.equal([sku]);
    const page = await get(api, `/v1/locations/S001/stock?limit=1&after=${sku}`);
    expect((page.body.items as { sku: string }[]).every((i) => i.sku > sku)).to.equal(true);
  });

  it('gives totals per region and per location kind', async () => {
    const south = await get(api, `/v1/totals/regions/south?limit=1000&after=${sku.slice(0, -1)}`);
    expect(south.status).to.equal(200);
    expect((south.body.items as { sku: string; onHand: string }[]).find((i) => i.sku === sku)).to.include({
      onHand: '-1',
    });
    const warehouses = await get(api, `/v1/totals/kinds/warehouse?limit=1000&after=${sku.slice(0, -1)}`);
    expect(
      (warehouses.body.items as { sku: string; onHand: string }[]).find((i) => i.sku === sku),
    ).to.include({ onHand: '200' });
  });

  it('answers bad requests with a 4xx that says what is wrong, never a 500', async () => {
    const cases: [string, number, RegExp][] = [
      ['/v1/stock/bad%20sku!', 400, /sku must match pattern/],
      [`/v1/locations/S001/stock?limit=0`, 400, /limit must be >= 1/],
      [`/v1/locations/S001/stock?limit=ten`, 400, /limit must be integer/],
      [`/v1/locations/NOWHERE/stock`, 404, /unknown location NOWHERE/],
      [`/v1/stock/${sku}/locations/NOWHERE`, 404, /unknown location NOWHERE/],
      [`/v1/stock/NOSUCHSKU1`, 404, /no stock for SKU NOSUCHSKU1/],
      [`/v1/totals/regions/atlantis`, 404, /unknown region atlantis/],
      [`/v1/nothing`, 404, /no route GET \/v1\/nothing/],
    ];
    for (const [path, status, message] of cases) {
      const response = await get(api, path);
      expect(response.status, path).to.equal(status);
      expect(response.body.message, path).to.match(message);
    }
  });

  it('requires the bearer token on reads when one is configured', async () => {
    const guarded = await startApi(
      compileApiOptions({ ...config, api: { ...config.api, token: 's3cret-token' } }),
      log,
    );
    try {
      const denied = await get(guarded, `/v1/stock/${sku}`);
      expect(denied.status).to.equal(401);
      expect(denied.body.message).to.contain('bearer token');
      expect((await get(guarded, `/v1/stock/${sku}`, 'wrong')).status).to.equal(401);
      expect((await get(guarded, `/v1/stock/${sku}`, 's3cret-token')).status).to.equal(200);
      expect((await get(guarded, '/health')).status, 'probes stay open').to.equal(200);
    } finally {
      await guarded.stop();
    }
  });

  it('serves health, readiness, Prometheus metrics and the OpenAPI document kept in the repository', async () => {
    expect((await get(api, '/health')).body).to.deep.equal({ status: 'ok' });
    expect((await get(api, '/ready')).body).to.deep.equal({ ready: true });
    // The role handle's health is the same check, for `run`, the demo and the benchmark.
    expect(await api.health()).to.deep.equal({ ok: true });
    const metrics = await fetch(`${api.url}/metrics`).then((r) => r.text());
    expect(metrics).to.contain('stockline_materializer_events_applied_total');
    const served = (await get(api, '/openapi.json')).body;
    expect(served).to.deep.equal(JSON.parse(readFileSync('docs/openapi.json', 'utf8')));
  });
});
