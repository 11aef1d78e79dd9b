import { expect } from 'chai';
import type { MatdocRow } from '../samples/sample-data.js';
import { stockEffects } from './effects.js';
import { ExpectedLedger } from './ledger.js';
import type { Micros } from './source-time.js';
import type { SourceWrite, TransferLineRow, WhmoveRecord } from './writes.js';

const T = (iso: string): Micros => Date.parse(iso) * 1000;
const SKU = 'SABCDE-00001';

const sale = (location: string, quantity: string, at: string): SourceWrite => ({
  kind: 'sale_line',
  system: location.startsWith('S1') ? 'store-maria' : 'store-pg',
  at: T(at),
  row: {
    sale_id: '1',
    line_no: 1,
    location_id: location,
    sku: SKU,
    quantity,
    unit: 'EA',
    unit_price: '1.00',
    sold_at: T(at),
  },
});

const receipt = (location: string, quantity: string, at: string): SourceWrite => ({
  kind: 'goods_receipt',
  system: 'store-pg',
  at: T(at),
  row: {
    receipt_id: '1',
    line_no: 1,
    location_id: location,
    sku: SKU,
    quantity,
    unit: 'EA',
    supplier: 'x',
    received_at: T(at),
  },
});

const count = (
  system: 'store-pg' | 'store-maria',
  location: string,
  quantity: string,
  previousQuantity: string | null,
  at: string,
): SourceWrite => ({
  kind: 'stock_count',
  system,
  at: T(at),
  row: { location_id: location, sku: SKU, quantity, unit: 'EA', counted_at: T(at), updated_at: T(at) },
  previousQuantity,
});

function stock(writes: SourceWrite[]): Record<string, string> {
  const ledger = new ExpectedLedger();
  for (const w of writes) ledger.applyAll(stockEffects(w));
  return Object.fromEntries(ledger.rows().map((r) => [r.location, r.quantity]));
}

describe("simulator: expected stock (the mappings' semantics, applied independently)", () => {
  it('a sale removes its quantity, a return (negative line) adds it back, a receipt adds', () => {
    expect(
      stock([
        receipt('S001', '10.000', '2026-11-20T08:00:00Z'),
        sale('S001', '3.000', '2026-11-20T08:01:00Z'),
        sale('S001', '-1.000', '2026-11-20T08:02:00Z'),
      ]),
    ).to.deep.equal({ S001: '8' });
  });

  it('quantities add up exactly (0.1 + 0.2 is 0.3, and a million small sales lose nothing)', () => {
    const ledger = new ExpectedLedger();
    for (const q of ['0.1', '0.2'])
      ledger.apply({ type: 'movement', sku: SKU, location: 'S001', quantity: q, unit: 'KG', occurredAt: 1 });
    expect(ledger.rows()[0]!.quantity).to.equal('0.3');
    for (let i = 0; i < 100_000; i++)
      ledger.apply({
        type: 'movement',
        sku: SKU,
        location: 'S002',
        quantity: '-0.001',
        unit: 'KG',
        occurredAt: i,
      });
    expect(ledger.quantityOf(SKU, 'S002')!.toFixed()).to.equal('-100');
  });

  describe('transfers', () => {
    const line: TransferLineRow = {
      transfer_id: '7',
      line_no: 1,
      from_location: 'W001',
      to_location: 'S002',
      sku: SKU,
      quantity: '24.000',
      unit: 'EA',
      status: 'shipped',
      shipped_at: T('2026-11-20T08:00:00Z'),
      received_at: null,
    };
    const shipped: SourceWrite = {
      kind: 'transfer_shipped',
      system: 'store-pg',
      at: line.shipped_at,
      row: line,
    };
    const received: SourceWrite = {
      kind: 'transfer_received',
      system: 'store-pg',
      at: T('2026-11-20T08:00:03Z'),
      row: { ...line, status: 'received', received_at: T('2026-11-20T08:00:03Z') },
    };

    it('leave the warehouse when shipped; in transit they are nowhere', () =>
      expect(stock([shipped])).to.deep.equal({ W001: '-24' }));

    it('arrive at the store when received', () =>
      expect(stock([shipped, received])).to.deep.equal({ W001: '-24', S002: '24' }));
  });

  describe('counts in the store PostgreSQL: inserts and updates are levels', () => {
    it('a level resets the stock; later movements add to it', () => {
      expect(
        stock([
          receipt('S001', '10.000', '2026-11-20T08:00:00Z'),
          count('store-pg', 'S001', '7.000', null, '2026-11-20T08:05:00Z'),
          sale('S001', '2.000', '2026-11-20T08:06:00Z'),
          count('store-pg', 'S001', '4.000', '7.000', '2026-11-20T08:10:00Z'),
          receipt('S001', '6.000', '2026-11-20T08:11:00Z'),
        ]),
      ).to.deep.equal({ S001: '10' });
    });

    it('a movement that occurred before the level, applied after it, changes nothing', () => {
      expect(
        stock([
          count('store-pg', 'S001', '7.000', null, '2026-11-20T08:05:00Z'),
          sale('S001', '2.000', '2026-11-20T08:04:59Z'),
        ]),
      ).to.deep.equal({ S001: '7' });
    });

    it('a level of zero is a row of zero', () =>
      expect(stock([count('store-pg', 'W001', '0.000', null, '2026-11-20T08:05:00Z')])).to.deep.equal({
        W001: '0',
      }));
  });

  describe('counts in the store MariaDB: an insert is a level, an update a movement of the difference', () => {
    it('an update adds after - before, not the counted quantity', () => {
      expect(
        stock([
          count('store-maria', 'S101', '7.000', null, '2026-11-20T08:05:00Z'),
          sale('S101', '2.000', '2026-11-20T08:06:00Z'),
          // The row said 7, the count says 4: a movement of -3 on top of the 5 the books hold.
          count('store-maria', 'S101', '4.000', '7.000', '2026-11-20T08:10:00Z'),
        ]),
      ).to.deep.equal({ S101: '2' });
    });

    it('an update that changes nothing emits nothing', () =>
      expect(
        stockEffects(count('store-maria', 'S101', '7.000', '7.000', '2026-11-20T08:10:00Z')),
      ).to.deep.equal([]));
  });

  describe('SAP goods movements (MATDOC)', () => {
    const matdoc = (fields: Partial<MatdocRow>): SourceWrite => ({
      kind: 'matdoc',
      system: 'sap',
      at: 0,
      row: {
        MANDT: '100',
        MBLNR: '7000000001',
        MJAHR: '2026',
        ZEILE: '0001',
        MATNR: `000000${SKU}`,
        WERKS: '1000',
        LGORT: '0001',
        CHARG: '',
        LBBSA_SID: '01',
        SOBKZ: '',
        BWART: '101',
        SHKZG: 'S',
        MENGE: '12.000',
        MEINS: 'ST',
        ERFMG: '12.000',
        ERFME: 'ST',
        STOCK_QTY: '12.000',
        SMBLN: '',
        SMBJP: '',
        SMBLP: '',
        BUDAT_MKPF: '20261120',
        CPUDT_MKPF: '20261120',
        CPUTM_MKPF: '091502',
        USNAM_MKPF: 'SIMULATOR',
        ...fields,
      },
    });

    it('strips the zero padding, maps the plant, converts ST to EA, entry time in Berlin (winter: +01:00)', () => {
      expect(stockEffects(matdoc({}))).to.deep.equal([
        {
          type: 'movement',
          sku: SKU,
          location: 'DC01',
          quantity: '12.000',
          unit: 'EA',
          occurredAt: T('2026-11-20T08:15:02Z'),
        },
      ]);
    });

    it('credits (H) remove; grams become kilograms; summer time is +02:00', () => {
      const [effect] = stockEffects(
        matdoc({
          WERKS: '1200',
          SHKZG: 'H',
          BWART: '601',
          ERFMG: '1250.000',
          ERFME: 'G',
          CPUDT_MKPF: '20260701',
        }),
      );
      expect(effect).to.deep.include({
        location: 'W002',
        quantity: '-1.250',
        unit: 'KG',
        occurredAt: T('2026-07-01T07:15:02Z'),
      });
    });

    it('only unrestricted-use stock of our own counts: quality inspection, blocked and consignment lines do not', () => {
      expect(stockEffects(matdoc({ LBBSA_SID: '02' }))).to.deep.equal([]);
      expect(stockEffects(matdoc({ LBBSA_SID: '07' }))).to.deep.equal([]);
      expect(stockEffects(matdoc({ SOBKZ: 'K' }))).to.deep.equal([]);
      // A release (321): the quality-inspection line leaves nothing, the unrestricted line adds.
      const release = [
        matdoc({ BWART: '321', SHKZG: 'H', LBBSA_SID: '02', STOCK_QTY: '-12.000' }),
        matdoc({ ZEILE: '0002', BWART: '321', SHKZG: 'S', LBBSA_SID: '01' }),
      ].flatMap(stockEffects);
      expect(release.map((e) => e.quantity)).to.deep.equal(['12.000']);
    });
  });

  describe('mainframe WHMOVE records', () => {
    const record = (fields: Partial<WhmoveRecord>): SourceWrite => ({
      kind: 'whmove',
      system: 'mainframe',
      at: 0,
      msgId: 'x',
      record: {
        'WM-REC-TYPE': 'MV',
        'WM-WAREHOUSE-ID': 'WH0001',
        'WM-SKU': SKU,
        'WM-MOVE-CODE': 'RCV',
        'WM-QUANTITY': '120.000',
        'WM-UOM': 'EA',
        'WM-MOVE-TS': '2026-11-20-08.15.02.123456',
        'WM-SEQ-NO': '000000001001',
        ...fields,
      },
    });

    it('a receipt adds, at the DB2 local time with microseconds', () =>
      expect(stockEffects(record({}))).to.deep.equal([
        {
          type: 'movement',
          sku: SKU,
          location: 'W001',
          quantity: '120.000',
          unit: 'EA',
          occurredAt: T('2026-11-20T07:15:02.123Z') + 456,
        },
      ]));

    it('an issue removes; an adjustment keeps its own sign; a count is a level', () => {
      expect(stockEffects(record({ 'WM-MOVE-CODE': 'ISS', 'WM-QUANTITY': '7.500' }))[0]!.quantity).to.equal(
        '-7.500',
      );
      expect(stockEffects(record({ 'WM-MOVE-CODE': 'ADJ', 'WM-QUANTITY': '-2.000' }))[0]!.quantity).to.equal(
        '-2.000',
      );
      expect(stockEffects(record({ 'WM-MOVE-CODE': 'TRO' }))[0]!.quantity).to.equal('-120.000');
      expect(stockEffects(record({ 'WM-MOVE-CODE': 'TRI' }))[0]!.quantity).to.equal('120.000');
      expect(
        stockEffects(record({ 'WM-REC-TYPE': 'CT', 'WM-MOVE-CODE': 'CNT', 'WM-WAREHOUSE-ID': 'WH0002' }))[0],
      ).to.deep.include({ type: 'level', location: 'W002', quantity: '120.000' });
    });
  });
});
