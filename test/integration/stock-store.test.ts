import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { StocklineConfig } from '../../src/config/schema.js';
import { decodeBatch } from '../../src/materializer/decode.js';
import { readMaterializerPositions } from '../../src/kafka/consumer-lag.js';
import { createStockDb } from '../../src/stock/db.js';
import { migrateStockDb } from '../../src/stock/migrate.js';
import type { PartitionRef, StockBatch, StockChange, StockRow } from '../../src/stock/model.js';
import { ledgerPartitions } from '../../src/stock/postgres/ledger.js';
import { postgresStockReader } from '../../src/stock/postgres/stock-reader.js';
import { postgresStockStore } from '../../src/stock/postgres/stock-store.js';
import type { StockAtLocation, StockReader, StockSnapshot } from '../../src/stock/reads.js';
import { upsertLocations, type Location } from '../../src/stock/reference-data.js';
import type { StockStore } from '../../src/stock/store.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

/**
 * One conformance suite for every adapter of the stock store: the writes the materializer makes
 * through src/stock/store.ts and the reads of src/stock/reads.ts (the API's, the reconciler's),
 * against the real database of the local stack. A new adapter is one more line in ADAPTERS.
 */
interface StockStoreUnderTest {
  store: StockStore;
  reader: StockReader;
  /** The same database through knex, for what the suite checks beside the port (rejected messages, the ledger's rows). */
  db: Knex;
  /** Writes reference data (src/stock/reference-data.ts on PostgreSQL). */
  registerLocations(locations: Location[]): Promise<void>;
  /** The months the ledger keeps, when the adapter keeps them apart (PostgreSQL: partitions). */
  ledgerMonths?: () => Promise<string[]>;
  close(): Promise<void>;
}

async function postgres(config: Readonly<StocklineConfig>): Promise<StockStoreUnderTest> {
  const db = createStockDb(config, { applicationName: 'stockline-test' });
  await migrateStockDb(db);
  return {
    store: postgresStockStore(db),
    reader: postgresStockReader(db),
    db,
    registerLocations: async (locations) => void (await upsertLocations(db, locations)),
    ledgerMonths: () => ledgerPartitions(db),
    close: () => db.destroy(),
  };
}

const ADAPTERS: {
  name: string;
  open: (config: Readonly<StocklineConfig>) => Promise<StockStoreUnderTest>;
}[] = [{ name: 'PostgreSQL', open: postgres }];

const ISO_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

for (const adapter of ADAPTERS) {
  describe(`stock store conformance: ${adapter.name} (integration)`, function () {
    this.timeout(STACK_TIMEOUT_MS);
    let db: Knex;
    let store: StockStore;
    let reader: StockReader;
    let subject: StockStoreUnderTest;
    const run = `P${randomBytes(3).toString('hex')}`;
    const partition = { groupId: `test-store-${run}`, topic: `test.store.${run}`, partition: 0 };
    const sku = (name: string) => `${run}-${name}`;
    const loc = (name: string) => `${run}${name}`;
    const key = (s: string, l: string) => ({ sku: sku(s), location: loc(l) });

    const change = (
      s: string,
      location: string,
      delta: string,
      extra: Partial<StockChange> = {},
    ): StockChange => ({
      ...key(s, location),
      level: null,
      delta,
      unit: 'EA',
      applied: 1,
      last: { eventId: `${run}-${s}-${delta}`, occurredAt: '2024-05-01T10:00:00.000000Z' },
      guard: null,
      ...extra,
    });
    let events = 0;
    /** A movement with an event id of its own (the ledger refuses an id applied before). */
    const move = (s: string, location: string, delta: string): StockChange =>
      change(s, location, delta, {
        last: { eventId: `${run}-e${++events}`, occurredAt: '2024-05-01T11:00:00.000000Z' },
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
    /** Applies `changes` as the next batch of `on`, one offset per change; returns the new position. */
    const positions = new Map<string, bigint>();
    async function apply(on: PartitionRef, changes: StockChange[]): Promise<bigint> {
      const id = `${on.groupId}/${on.topic}/${on.partition}`;
      const from = positions.get(id) ?? (await store.claimPosition(on, 0n)).next;
      const to = from + BigInt(changes.length);
      const result = await store.applyBatch({ ...batch(from, to, changes), partition: on });
      expect(result.status, `batch ${from}..${to} of ${id}`).to.equal('applied');
      positions.set(id, to);
      return to;
    }
    const onHand = async (s: string, location: string) => (await reader.row(key(s, location)))?.onHand;
    const skus = (rows: { sku: string }[]) => rows.map((r) => r.sku);

    before(async () => {
      const env = await ensureStack();
      subject = await adapter.open(env.config);
      ({ db, store, reader } = subject);
    });

    after(async () => {
      await subject?.close();
    });

    describe('writes (what the materializer does)', () => {
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
        expect(await onHand('A', 'S1')).to.equal('5');
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
        const stored = await store.readRows([key('R', 'S1'), key('R', 'S2')]);
        const byKey = <R extends { location: string }>(rows: R[]) =>
          [...rows].sort((a, b) => a.location.localeCompare(b.location));
        expect(later.rows).to.deep.equal(stored.filter((r) => r.location === loc('S1')));
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
        // The reads give the same row as the write returned, with its location's kind and region.
        const { kind, region, ...row } = (await reader.row(key('R', 'S1')))!;
        expect(row).to.deep.equal(later.rows[0]);
        expect([kind, region]).to.deep.equal(['unknown', 'unknown']);
      });

      it('refuses an optimistic batch whose guard fails and returns the stored state instead', async () => {
        // The row is in EA; this plan assumed KG.
        const guarded = change('A', 'S1', '1', {
          guard: { earliestEventAt: '2024-05-01T09:00:00.000000Z', unit: 'KG' },
        });
        const result = await store.applyBatch(batch(10n, 20n, [guarded]));
        expect(result.status).to.equal('guard-failed');
        if (result.status !== 'guard-failed') return;
        expect(result.starts.get(`${sku('A')}@${loc('S1')}`)).to.deep.equal({
          unit: 'EA',
          levelAsOf: null,
          ledger: [],
        });
        expect(result.appliedBefore).to.deep.equal(new Set());
        expect(await store.claimPosition(partition, 0n)).to.deep.include({ next: 10n });
        expect(await onHand('A', 'S1')).to.equal('5');
      });

      it('refuses a batch that holds an event applied before and names it', async () => {
        const again = change('A', 'S1', '5'); // the same event id as in the first batch
        const result = await store.applyBatch(batch(10n, 20n, [again, change('A', 'S1', '7')]));
        expect(result.status).to.equal('guard-failed');
        if (result.status !== 'guard-failed') return;
        expect([...result.appliedBefore]).to.deep.equal([`${run}-A-5`]);
        expect(await onHand('A', 'S1')).to.equal('5');
      });

      it('forgets whole months before the ledger horizon, and refuses an event that occurred before it', async () => {
        // Long before any other test's events (2024 on): moving the shared horizon there harms none.
        const current = await store.ledgerHorizon();
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
        if (subject.ledgerMonths) expect(await subject.ledgerMonths()).to.include(iso(y, m, 1).slice(0, 7));

        const { horizon, dropped } = await store.advanceLedgerHorizon(new Date(Date.UTC(y, m + 1, 10)));
        expect(horizon).to.equal(iso(y, m + 1, 1));
        expect(await store.ledgerHorizon()).to.equal(horizon);
        expect(dropped).to.include(iso(y, m, 1).slice(0, 7));
        if (subject.ledgerMonths)
          expect(await subject.ledgerMonths()).to.not.include(iso(y, m, 1).slice(0, 7));
        expect(
          await db('stock_ledger')
            .where({ event_id: `${run}-H-old` })
            .count<{ count: string }[]>(),
        ).to.deep.equal([{ count: '0' }]);
        // Never back: an earlier target leaves the horizon where it is.
        expect((await store.advanceLedgerHorizon(new Date(Date.UTC(y, m - 3, 1)))).horizon).to.equal(horizon);

        // An event before the horizon is refused with the horizon, to be planned again without it.
        const late = change('H', 'S1', '1', {
          last: { eventId: `${run}-H-late`, occurredAt: iso(y, m, 20) },
        });
        const refused = await store.applyBatch({
          ...batch(1n, 2n, [late]),
          earliestEventAt: late.last.occurredAt,
          partition: other,
        });
        expect(refused).to.deep.include({ status: 'guard-failed', horizon: iso(y, m + 1, 1) });
        expect(await onHand('H', 'S1')).to.equal('4');
      });

      it('keeps totals per SKU, region and kind; registering a location moves its stock out of "unknown"', async () => {
        const north = `${run}-north`;
        const totals = async () => {
          const item = (await reader.item(sku('A')))!;
          return {
            total: item.total,
            byRegion: item.byRegion.map((r) => [r.region, r.onHand, r.locations, r.negativeLocations]),
            byKind: item.byKind.map((r) => [r.kind, r.onHand, r.locations, r.negativeLocations]),
          };
        };
        expect(await totals()).to.deep.equal({
          total: { onHand: '2.5', locations: 2, negativeLocations: 1 },
          byRegion: [['unknown', '2.5', 2, 1]],
          byKind: [['unknown', '2.5', 2, 1]],
        });
        await subject.registerLocations([{ id: loc('S1'), kind: 'store', region: north, dataCenter: 'dc1' }]);
        expect((await totals()).byRegion).to.have.deep.members([
          ['unknown', '-2.5', 1, 1],
          [north, '5', 1, 0],
        ]);
        await subject.registerLocations([
          { id: loc('S2'), kind: 'warehouse', region: north, dataCenter: 'dc1' },
        ]);
        expect(await totals()).to.deep.equal({
          total: { onHand: '2.5', locations: 2, negativeLocations: 1 },
          byRegion: [[north, '2.5', 2, 1]],
          byKind: [
            ['store', '5', 1, 0],
            ['warehouse', '-2.5', 1, 1],
          ],
        });
        // The next batch counts under the registered region directly.
        await store.applyBatch(batch(10n, 20n, [change('A', 'S2', '3')]));
        expect((await totals()).byRegion).to.deep.equal([[north, '5.5', 2, 0]]);
        // Every SKU at the region's locations (the other tests' too), paged by SKU.
        expect(await reader.totalsIn('region', north, { limit: 2 })).to.deep.equal({
          items: [
            { sku: sku('A'), onHand: '5.5', locations: 2, negativeLocations: 0 },
            { sku: sku('H'), onHand: '4', locations: 1, negativeLocations: 0 },
          ],
          next: sku('H'),
        });
        expect(await reader.totalsIn('region', north, { limit: 2, after: sku('H') })).to.deep.equal({
          items: [{ sku: sku('R'), onHand: '-10.25', locations: 2, negativeLocations: 2 }],
          next: null,
        });
        expect(await reader.groupKnown('region', north)).to.equal(true);
        expect(await reader.groupKnown('region', `${run}-south`)).to.equal(false);
        expect((await reader.row(key('A', 'S2')))?.kind).to.equal('warehouse');
      });

      it('keeps a rejected foreign message whose key, value or headers are not text (a 0x00 byte, invalid UTF-8) byte for byte', async () => {
        const value = Buffer.concat([
          Buffer.from('{"id":"x\u0000'),
          Buffer.from([0x00, 0xff, 0xfe]),
          Buffer.from('"}'),
        ]);
        const messageKey = Buffer.from([0x41, 0x00, 0x42]);
        const headers = {
          nul: Buffer.from('a\u0000b'),
          binary: Buffer.from([0xc3, 0x28]),
          plain: Buffer.from('text'),
        };
        const { rejected } = decodeBatch([{ offset: '7', key: messageKey, value, headers }]);
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
        const row = await db('stock_rejected_events').first<Record<string, unknown>>().where({
          group_id: partition.groupId,
          topic: partition.topic,
          kafka_partition: 5,
          kafka_offset: 7,
        });
        expect(row).to.not.equal(undefined);
        expect(String(row.reason)).to.not.equal('');
        expect(row.message_value_bytes).to.deep.equal(value);
        expect(row.message_value).to.equal(null);
        expect(row.message_key_bytes).to.deep.equal(messageKey);
        expect(row.message_headers_base64).to.equal(true);
        const stored = JSON.parse(String(row.message_headers)) as Record<string, string>;
        expect(
          Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        ).to.deep.equal(headers);
      });
    });

    describe('reads (what the API and the reconciler ask)', () => {
      const reads = { ...partition, groupId: `test-store-reads-${run}` };

      it('reads quantities back as exact decimals from rows, totals, pages and snapshots', async () => {
        // 0.1 + 0.2 is not 0.3 in binary floating point; 2 × (10^15 - 10^-6) needs 22 digits.
        await apply(reads, [move('X', 'D1', '0.1'), move('X', 'D2', '999999999999999.999999')]);
        await apply(reads, [
          move('X', 'D1', '0.2'),
          move('X', 'D2', '999999999999999.999999'),
          move('X', 'D3', '-0.000001'),
        ]);
        const expected = {
          [loc('D1')]: '0.3',
          [loc('D2')]: '1999999999999999.999998',
          [loc('D3')]: '-0.000001',
        };
        const byLocation = (rows: StockRow[]) => Object.fromEntries(rows.map((r) => [r.location, r.onHand]));

        expect(await onHand('X', 'D1')).to.equal('0.3');
        const item = (await reader.item(sku('X')))!;
        expect(byLocation(item.locations)).to.deep.equal(expected);
        expect(item.total).to.deep.equal({
          onHand: '2000000000000000.299997',
          locations: 3,
          negativeLocations: 1,
        });
        expect(byLocation(item.locations.filter((r) => r.negative))).to.deep.equal({
          [loc('D3')]: '-0.000001',
        });
        const pages = await Promise.all(
          ['D1', 'D2', 'D3'].map((l) => reader.atLocation(loc(l), { limit: 5 })),
        );
        expect(byLocation(pages.flatMap((p) => p.items))).to.deep.equal(expected);
        expect(byLocation(await store.readRows(['D1', 'D2', 'D3'].map((l) => key('X', l))))).to.deep.equal(
          expected,
        );
        const snapshot = await reader.snapshot(
          { locations: ['D1', 'D2', 'D3'].map(loc), positionsOf: reads },
          async (s) => collect(s),
        );
        expect(byLocation(snapshot.filter((r) => r.sku === sku('X')))).to.deep.equal(expected);
      });

      it('answers per key: each key its own row, a missing key nothing, a known location even without stock', async () => {
        await apply(reads, [move('K', 'E1', '1'), move('K', 'E2', '2'), move('L', 'E1', '3')]);
        expect(
          (await store.readRows([key('K', 'E1'), key('K', 'E9'), key('L', 'E1'), key('L', 'E2')]))
            .map((r) => [r.sku, r.location, r.onHand])
            .sort(),
        ).to.deep.equal([
          [sku('K'), loc('E1'), '1'],
          [sku('L'), loc('E1'), '3'],
        ]);
        expect(await reader.row(key('K', 'E9'))).to.equal(undefined);
        expect(await reader.row(key('M', 'E1'))).to.equal(undefined);
        expect(await reader.item(sku('M'))).to.equal(undefined);
        const k2 = (await reader.row(key('K', 'E2')))!;
        expect(k2).to.deep.include({ ...key('K', 'E2'), onHand: '2', version: '1', unit: 'EA' });
        expect(k2).to.deep.include({ kind: 'unknown', region: 'unknown', negative: false, levelAsOf: null });
        for (const t of [k2.lastEventAt, k2.updatedAt]) expect(t).to.match(ISO_MICROS);
        expect((await reader.item(sku('K')))!.locations.map((r) => [r.location, r.onHand])).to.deep.equal([
          [loc('E1'), '1'],
          [loc('E2'), '2'],
        ]);

        expect(await reader.locationKnown(loc('E1')), 'stock there').to.equal(true);
        expect(await reader.locationKnown(loc('E8'))).to.equal(false);
        await subject.registerLocations([
          {
            id: loc('E8'),
            kind: 'distribution_center',
            region: `${run}-east`,
            dataCenter: 'dc2',
            name: 'Ost',
          },
        ]);
        expect(await reader.locationKnown(loc('E8')), 'named by the reference data').to.equal(true);
        expect(await reader.groupKnown('kind', 'distribution_center')).to.equal(true);
        expect((await reader.locations()).find((l) => l.id === loc('E8'))).to.deep.equal({
          id: loc('E8'),
          kind: 'distribution_center',
          region: `${run}-east`,
          dataCenter: 'dc2',
          name: 'Ost',
        });
        expect(await reader.atLocation(loc('E8'), { limit: 10 })).to.deep.equal({ items: [], next: null });
      });

      it('reads the stored positions per partition, as 64-bit offsets', async () => {
        const group = { groupId: `test-store-positions-${run}`, topic: partition.topic };
        expect(await reader.storedPositions(group.groupId, group.topic)).to.deep.equal(new Map());
        const big = 2n ** 53n + 1n; // beyond a JavaScript number's exact integers
        await store.claimPosition({ ...group, partition: 0 }, 0n);
        await store.claimPosition({ ...group, partition: 3 }, big);
        await store.applyBatch({
          ...batch(big, big + 2n, [move('P', 'F1', '1')]),
          partition: { ...group, partition: 3 },
        });
        expect(await reader.storedPositions(group.groupId, group.topic)).to.deep.equal(
          new Map([
            [0, 0n],
            [3, big + 2n],
          ]),
        );
        expect(await readMaterializerPositions(reader, group.groupId, group.topic)).to.deep.equal(
          new Map([
            [
              group.topic,
              new Map([
                [0, 0n],
                [3, big + 2n],
              ]),
            ],
          ]),
        );
      });

      it('pages a location by SKU with a keyset cursor: writes between pages neither repeat nor skip a row', async () => {
        const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
        await apply(
          reads,
          names.map((n) => move(n, 'G1', '1')),
        );
        const seen: string[] = [];
        const added: string[] = [];
        let after: string | undefined;
        for (let i = 0; ; i++) {
          const page = await reader.atLocation(loc('G1'), { limit: 3, ...(after ? { after } : {}) });
          expect(page.items.length).to.be.at.most(3);
          seen.push(...skus(page.items));
          if (page.next === null) break;
          expect(page.next).to.equal(page.items[page.items.length - 1]?.sku);
          after = page.next;
          // Between two pages: a row before the cursor, one after every other, and changes of a
          // row already read and of one not read yet.
          await apply(reads, [
            move(`o${i}`, 'G1', '1'),
            move(`q${i}`, 'G1', '1'),
            move('p0', 'G1', '1'),
            move('p9', 'G1', '1'),
          ]);
          added.push(sku(`q${i}`));
        }
        expect(seen, 'each row once, in SKU order').to.deep.equal([...new Set(seen)].sort());
        expect(seen).to.deep.equal([...names.map(sku), ...added]);
        expect(await onHand('p9', 'G1'), 'the writes were applied').to.equal(String(1 + added.length));
      });

      it('filters a location page by a literal SKU prefix and by negative stock', async () => {
        await apply(reads, [
          move('a_b', 'G2', '1'),
          move('axb', 'G2', '-1'),
          move('a%c', 'G2', '-2'),
          move('b', 'G2', '1'),
        ]);
        const page = (request: { skuPrefix?: string; negative?: boolean }) =>
          reader.atLocation(loc('G2'), { limit: 10, ...request }).then((p) => skus(p.items));
        expect(await page({ skuPrefix: sku('a_') })).to.deep.equal([sku('a_b')]);
        expect(await page({ skuPrefix: sku('a%') })).to.deep.equal([sku('a%c')]);
        expect(await page({ negative: true })).to.have.members([sku('axb'), sku('a%c')]);
        expect(await page({ negative: false, skuPrefix: sku('a') })).to.deep.equal([sku('a_b')]);
      });

      it('takes a consistent snapshot of a set of locations: writes during it are not seen, its positions match its rows', async () => {
        const snap = { ...reads, groupId: `test-store-snapshot-${run}` };
        const names = Array.from({ length: 7 }, (_, i) => `s${i}`);
        await apply(snap, [...names.map((n) => move(n, 'Z1', '1')), ...names.map((n) => move(n, 'Z2', '2'))]);
        const at = await apply(snap, [move('s0', 'Z3', '3')]); // a location outside the snapshot
        const before = [
          ...(await reader.atLocation(loc('Z1'), { limit: 100 })).items,
          ...(await reader.atLocation(loc('Z2'), { limit: 100 })).items,
        ];

        const taken = await reader.snapshot(
          { locations: [loc('Z2'), loc('Z1'), loc('Z9')], positionsOf: snap, pageSize: 4 },
          async (s) => {
            const pages = s.pages()[Symbol.asyncIterator]();
            const first = await pages.next();
            // While the snapshot is open: every kind of write the materializer makes (it is not
            // blocked by the snapshot), committed and visible outside it.
            const moved = await apply(snap, [
              move('s0', 'Z1', '100'),
              move('s6', 'Z2', '100'),
              move('new', 'Z1', '1'),
            ]);
            expect(await onHand('s6', 'Z2')).to.equal('102');
            const rest: StockAtLocation[][] = [];
            for (let p = await pages.next(); !p.done; p = await pages.next()) rest.push(p.value);
            return {
              takenAt: s.takenAt,
              positions: s.positions,
              pages: [first.value as StockAtLocation[], ...rest],
              again: await collect(s),
              moved,
            };
          },
        );
        expect(taken.pages.map((p) => p.length)).to.deep.equal([4, 4, 4, 2]);
        expect(taken.pages.flat(), 'the rows as before the writes, by location then SKU').to.deep.equal(
          before,
        );
        expect(taken.again, 'read again from the same snapshot').to.deep.equal(before);
        expect(taken.positions).to.deep.equal(new Map([[0, at]]));
        expect(taken.takenAt).to.match(ISO_MICROS);
        expect(await reader.storedPositions(snap.groupId, snap.topic)).to.deep.equal(
          new Map([[0, taken.moved]]),
        );
        const now = await reader.snapshot({ locations: [loc('Z1')], positionsOf: snap }, (s) => collect(s));
        expect(now.find((r) => r.sku === sku('s0'))?.onHand).to.equal('101');
        expect(skus(now)).to.include(sku('new'));
      });

      it('ends a snapshot with its read: an error of the read comes back as it was, and the snapshot is gone after', async () => {
        const request = { locations: [loc('Z1')], positionsOf: reads, pageSize: 2 };
        const stop = new Error('the reconciler stopped');
        let caught: unknown;
        // More failed reads than the pool has connections: each gives its connection back.
        for (let i = 0; i <= 10; i++) {
          caught = undefined;
          await reader.snapshot(request, () => Promise.reject(stop)).catch((e: unknown) => (caught = e));
          expect(caught).to.equal(stop);
        }

        // A reader that stops early (break) and reads again; the snapshot then ends with its read.
        let kept: StockSnapshot | undefined;
        const firsts = await reader.snapshot(request, async (s) => {
          kept = s;
          const seen: string[] = [];
          for await (const page of s.pages()) {
            seen.push(page[0]!.sku);
            break;
          }
          for await (const page of s.pages()) {
            seen.push(page[0]!.sku);
            break;
          }
          return seen;
        });
        const first = (await reader.atLocation(loc('Z1'), { limit: 1 })).items[0]?.sku;
        expect(firsts).to.deep.equal([first, first]);
        caught = undefined;
        await collect(kept!).catch((e: unknown) => (caught = e));
        expect(caught, 'pages after the snapshot ended').to.be.instanceOf(Error);

        expect(await reader.snapshot({ ...request, locations: [] }, (s) => collect(s))).to.deep.equal([]);
        caught = undefined;
        await reader
          .snapshot({ ...request, pageSize: 0 }, (s) => collect(s))
          .catch((e: unknown) => (caught = e));
        expect(String(caught)).to.contain('pageSize must be a positive integer');
      });
    });
  });
}

async function collect(snapshot: StockSnapshot): Promise<StockAtLocation[]> {
  const rows: StockAtLocation[] = [];
  for await (const page of snapshot.pages()) rows.push(...page);
  return rows;
}
