import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { decodeBatch } from '../../src/materializer/decode.js';
import { createStockDb } from '../../src/stock/db.js';
import { migrateStockDb } from '../../src/stock/migrate.js';
import type { StockBatch, StockChange } from '../../src/stock/model.js';
import { advanceLedgerHorizon, ledgerHorizon, ledgerPartitions } from '../../src/stock/postgres/ledger.js';
import { postgresStockStore } from '../../src/stock/postgres/stock-store.js';
import { upsertLocations } from '../../src/stock/reference-data.js';
import type { StockStore } from '../../src/stock/store.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

describe('stock store on PostgreSQL (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let db: Knex;
  let store: StockStore;
  const run = `P${randomBytes(3).toString('hex')}`;
  const partition = { groupId: `test-store-${run}`, topic: `test.store.${run}`, partition: 0 };

  const change = (
    sku: string,
    location: string,
    delta: string,
    extra: Partial<StockChange> = {},
  ): StockChange => ({
    sku: `${run}-${sku}`,
    location: `${run}${location}`,
    level: null,
    delta,
    unit: 'EA',
    applied: 1,
    last: { eventId: `${run}-${sku}-${delta}`, occurredAt: '2024-05-01T10:00:00.000000Z' },
    guard: null,
    ...extra,
  });
  const batch = (expectedNext: bigint, next: bigint, changes: StockChange[]): StockBatch => ({
    partition,
    expectedNext,
    next,
    published: next,
    changes,
    rejected: [],
    ledger: changes.map((c) => ({
      sku: c.sku,
      location: c.location,
      eventId: c.last.eventId,
      occurredAt: c.last.occurredAt,
      quantity: c.delta,
      record: true,
    })),
    earliestEventAt: null,
  });
  const onHand = async (sku: string, location: string) =>
    (
      await db('stock')
        .first<{ q: string } | undefined>(db.raw('on_hand::text AS q'))
        .where({ sku: `${run}-${sku}`, location: `${run}${location}` })
    )?.q;

  before(async () => {
    const env = await ensureStack();
    db = createStockDb(env.config);
    await migrateStockDb(db);
    store = postgresStockStore(db);
  });

  after(async () => {
    await db?.destroy();
  });

  it('applies a batch and its position together; a batch from a stale position writes nothing', async () => {
    expect(await store.claimPosition(partition, 0n)).to.deep.equal({ next: 0n, published: 0n });
    const applied = await store.applyBatch(
      batch(0n, 10n, [change('A', 'S1', '5'), change('A', 'S2', '-2.5')]),
    );
    expect(applied.status).to.equal('applied');
    expect(
      applied.status === 'applied' && applied.rows.map((r) => [r.onHand, r.version, r.negative]),
    ).to.have.deep.members([
      ['5', '1', false],
      ['-2.5', '1', true],
    ]);
    // Another consumer still believes the partition stands at 0: fenced, nothing written.
    expect(await store.applyBatch(batch(0n, 10n, [change('A', 'S1', '100')]))).to.deep.equal({
      status: 'fenced',
    });
    expect(await onHand('A', 'S1')).to.equal('5.000000');
    expect(await store.claimPosition(partition, 0n)).to.deep.equal({ next: 10n, published: 10n });
  });

  it('returns the changed rows exactly as they are stored (what the stock topic gets)', async () => {
    const other = { ...partition, partition: 1 };
    await store.claimPosition(other, 0n);
    const level = change('R', 'S1', '0.25', {
      level: { quantity: '12.5', asOf: '2024-05-01T09:30:00.123400Z' },
      last: { eventId: `${run}-R-level`, occurredAt: '2024-05-01T09:45:00.000001Z' },
    });
    const applied = await store.applyBatch({
      ...batch(0n, 2n, [level, change('R', 'S2', '-3')]),
      partition: other,
    });
    const later = await store.applyBatch({
      ...batch(2n, 3n, [
        change('R', 'S1', '-20', {
          last: { eventId: `${run}-R-late`, occurredAt: '2024-05-02T00:00:00.000000Z' },
        }),
      ]),
      partition: other,
    });
    if (applied.status !== 'applied' || later.status !== 'applied') expect.fail('not applied');
    const stored = await store.readRows([
      { sku: `${run}-R`, location: `${run}S1` },
      { sku: `${run}-R`, location: `${run}S2` },
    ]);
    const byKey = <R extends { location: string }>(rows: R[]) =>
      [...rows].sort((a, b) => a.location.localeCompare(b.location));
    expect(later.rows).to.deep.equal(stored.filter((r) => r.location === `${run}S1`));
    expect(later.rows[0]).to.deep.include({
      onHand: '-7.25',
      negative: true,
      version: '2',
      levelAsOf: '2024-05-01T09:30:00.123400Z',
    });
    expect(byKey(applied.rows).map((r) => [r.onHand, r.levelAsOf, r.lastEventAt])).to.deep.equal([
      ['12.75', '2024-05-01T09:30:00.123400Z', '2024-05-01T09:45:00.000001Z'],
      ['-3', null, '2024-05-01T10:00:00.000000Z'],
    ]);
  });

  it('refuses an optimistic batch whose guard fails and returns the stored state instead', async () => {
    // The row is in EA; this plan assumed KG.
    const guarded = change('A', 'S1', '1', {
      guard: { earliestEventAt: '2024-05-01T09:00:00.000000Z', unit: 'KG' },
    });
    const result = await store.applyBatch(batch(10n, 20n, [guarded]));
    expect(result.status).to.equal('guard-failed');
    if (result.status !== 'guard-failed') return;
    expect(result.starts.get(`${run}-A@${run}S1`)).to.deep.equal({ unit: 'EA', levelAsOf: null, ledger: [] });
    expect(result.appliedBefore).to.deep.equal(new Set());
    expect(await store.claimPosition(partition, 0n)).to.deep.include({ next: 10n });
    expect(await onHand('A', 'S1')).to.equal('5.000000');
  });

  it('refuses a batch that holds an event applied before and names it', async () => {
    const again = change('A', 'S1', '5'); // the same event id as in the first batch
    const result = await store.applyBatch(batch(10n, 20n, [again, change('A', 'S1', '7')]));
    expect(result.status).to.equal('guard-failed');
    if (result.status !== 'guard-failed') return;
    expect([...result.appliedBefore]).to.deep.equal([`${run}-A-5`]);
    expect(await onHand('A', 'S1')).to.equal('5.000000');
  });

  it('forgets whole months before the ledger horizon, and refuses an event that occurred before it', async () => {
    // Long before any other test's events (2024 on): moving the shared horizon there harms none.
    const current = await ledgerHorizon(db);
    const month = current === null ? Date.UTC(1990, 0, 1) : Date.parse(current) + 32 * 86_400_000;
    const first = new Date(month);
    const iso = (y: number, m: number, d: number) =>
      new Date(Date.UTC(y, m, d)).toISOString().replace('Z', '000Z');
    const y = first.getUTCFullYear();
    const m = first.getUTCMonth();
    expect(
      iso(y, m, 1) < '2000-01-01',
      'the test has moved the horizon too far: reset the stack database',
    ).to.equal(true);
    const other = { ...partition, partition: 7 };
    await store.claimPosition(other, 0n);
    const old = change('H', 'S1', '4', { last: { eventId: `${run}-H-old`, occurredAt: iso(y, m, 15) } });
    expect((await store.applyBatch({ ...batch(0n, 1n, [old]), partition: other })).status).to.equal(
      'applied',
    );
    expect(await ledgerPartitions(db)).to.include(iso(y, m, 1).slice(0, 7));

    const { horizon, dropped } = await advanceLedgerHorizon(db, new Date(Date.UTC(y, m + 1, 10)));
    expect(horizon).to.equal(iso(y, m + 1, 1));
    expect(dropped).to.include(iso(y, m, 1).slice(0, 7));
    expect(await ledgerPartitions(db)).to.not.include(iso(y, m, 1).slice(0, 7));
    // Nothing is deleted one by one: the month's table is gone with its rows.
    expect(
      await db('stock_ledger')
        .where({ event_id: `${run}-H-old` })
        .count<{ count: string }[]>(),
    ).to.deep.equal([{ count: '0' }]);

    // An event before the horizon is refused with the horizon, to be planned again without it.
    const late = change('H', 'S1', '1', { last: { eventId: `${run}-H-late`, occurredAt: iso(y, m, 20) } });
    const refused = await store.applyBatch({
      ...batch(1n, 2n, [late]),
      earliestEventAt: late.last.occurredAt,
      partition: other,
    });
    expect(refused).to.deep.include({ status: 'guard-failed', horizon: iso(y, m + 1, 1) });
    expect(await onHand('H', 'S1')).to.equal('4.000000');
  });

  it('keeps totals per SKU, region and kind; registering a location moves its stock out of "unknown"', async () => {
    const totals = async (table: string, column: string) =>
      Object.fromEntries(
        (
          await db(table)
            .select<{ g: string; q: string; n: number; neg: number }[]>(
              `${column} as g`,
              db.raw('on_hand::text AS q'),
              'locations as n',
              'negative_locations as neg',
            )
            .where({ sku: `${run}-A` })
        ).map((r) => [r.g, [r.q, r.n, r.neg]]),
      );
    expect(await totals('stock_totals', 'sku')).to.deep.equal({ [`${run}-A`]: ['2.500000', 2, 1] });
    expect(await totals('stock_totals_by_region', 'region')).to.deep.equal({ unknown: ['2.500000', 2, 1] });
    await upsertLocations(db, [{ id: `${run}S1`, kind: 'store', region: `${run}-north`, dataCenter: 'dc1' }]);
    expect(await totals('stock_totals_by_region', 'region')).to.deep.equal({
      unknown: ['-2.500000', 1, 1],
      [`${run}-north`]: ['5.000000', 1, 0],
    });
    await upsertLocations(db, [
      { id: `${run}S2`, kind: 'warehouse', region: `${run}-north`, dataCenter: 'dc1' },
    ]);
    expect(await totals('stock_totals_by_region', 'region')).to.deep.equal({
      [`${run}-north`]: ['2.500000', 2, 1],
    });
    expect(await totals('stock_totals_by_kind', 'location_kind')).to.deep.equal({
      store: ['5.000000', 1, 0],
      warehouse: ['-2.500000', 1, 1],
    });
    // The next batch counts under the registered region directly.
    await store.applyBatch(batch(10n, 20n, [change('A', 'S2', '3')]));
    expect(await totals('stock_totals_by_region', 'region')).to.deep.equal({
      [`${run}-north`]: ['5.500000', 2, 0],
    });
  });

  it('keeps a rejected foreign message whose key, value or headers are not text (a 0x00 byte, invalid UTF-8) byte for byte', async () => {
    const value = Buffer.concat([
      Buffer.from('{"id":"x\u0000'),
      Buffer.from([0x00, 0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const key = Buffer.from([0x41, 0x00, 0x42]);
    const headers = {
      nul: Buffer.from('a\u0000b'),
      binary: Buffer.from([0xc3, 0x28]),
      plain: Buffer.from('text'),
    };
    const { rejected } = decodeBatch([{ offset: '7', key, value, headers }]);
    expect(rejected).to.have.length(1);
    await store.claimPosition({ ...partition, partition: 5 }, 0n);
    const result = await store.applyBatch({
      partition: { ...partition, partition: 5 },
      expectedNext: 0n,
      next: 8n,
      published: 8n,
      changes: [],
      rejected,
      ledger: [],
      earliestEventAt: null,
    });
    expect(result.status).to.equal('applied');
    const row = await db('stock_rejected_events')
      .first<Record<string, unknown>>()
      .where({ group_id: partition.groupId, topic: partition.topic, kafka_partition: 5, kafka_offset: 7 });
    expect(row).to.not.equal(undefined);
    expect(String(row.reason)).to.not.equal('');
    expect(row.message_value_bytes).to.deep.equal(value);
    expect(row.message_value).to.equal(null);
    expect(row.message_key_bytes).to.deep.equal(key);
    expect(row.message_headers_base64).to.equal(true);
    const stored = JSON.parse(String(row.message_headers)) as Record<string, string>;
    expect(
      Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    ).to.deep.equal(headers);
  });
});
