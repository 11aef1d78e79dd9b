// The activity of a retailer, one action at a time: till receipts, deliveries, transfers from
// the warehouses to the stores, cycle counts, SAP goods movements and mainframe warehouse moves.
// Pure and seeded: the same seed, options and start time give the same writes. The caller
// supplies the clock (each action's time) and writes the result into the sources.
import { stockKey } from '../../canonical/identity.js';
import { sapMaterialNumber, SAP_STOCK_TYPES, stockQuantity, type MatdocRow } from '../samples/sample-data.js';
import { DueQueue } from './due-queue.js';
import { stockEffects } from './effects.js';
import { Exact, fixed } from './exact.js';
import { ExpectedLedger } from './ledger.js';
import { drawQuantity, pieces, type QuantityRange } from './quantities.js';
import { SeededRandom } from './random.js';
import { SAP_BASE_UNIT, SAP_MOVEMENT_TYPES, type MoveCode } from './source-lookups.js';
import { MICROS_PER_MILLI, MICROS_PER_SECOND, sourceLocalTime, type Micros } from './source-time.js';
import {
  runNumber,
  supplyingWarehouse,
  type MainframeWarehouse,
  type SapPlant,
  type SimulatedItem,
  type StoreSystem,
  type World,
} from './world.js';
import { ZipfSampler } from './zipf.js';
import type { SourceWrite, TransferLineRow, WhmoveRecord } from './writes.js';

export interface GeneratorSettings {
  /**
   * After a count of an item at a location, nothing else happens to that item there for this
   * long, as when a store freezes a bin for a cycle count. A count is a level: a movement that
   * occurred after it but reached the stock table before it would be overwritten by it, so the
   * freeze must outlast the difference in latency between the pipeline's source topics.
   */
  countFreeze: Micros;
  /** A transfer arrives between these two durations after it was shipped. */
  transit: readonly [Micros, Micros];
  /** The first SAP material document number (MBLNR) of this run. */
  firstMaterialDocument: number;
  /**
   * SAP's late commits: this share of SAP documents is posted by a transaction that stays open
   * for a while (the update task) and commits after later ones, with the entry time
   * (CPUDT/CPUTM) it was stamped with before the insert. 0: every document commits at once.
   */
  sapLateShare: number;
  /** How long such a transaction stays open: drawn between these two durations. */
  sapHold: readonly [Micros, Micros];
  /** Application servers, each with its own buffer of material document numbers. */
  sapServers: number;
  /** Numbers each application server takes from the number range at a time. */
  sapNumberBuffer: number;
}

export const DEFAULT_COUNT_FREEZE_SECONDS = 10;
export const DEFAULT_SAP_LATE_SHARE = 0.02;
export const DEFAULT_SAP_MAX_HOLD_SECONDS = 5;
/** A late commit stays open at least this long. */
export const SAP_MIN_HOLD = MICROS_PER_SECOND / 2;

export const defaultSettings = (firstMaterialDocument: number): GeneratorSettings => ({
  countFreeze: DEFAULT_COUNT_FREEZE_SECONDS * MICROS_PER_SECOND,
  transit: [1 * MICROS_PER_SECOND, 5 * MICROS_PER_SECOND],
  firstMaterialDocument,
  sapLateShare: DEFAULT_SAP_LATE_SHARE,
  sapHold: [SAP_MIN_HOLD, DEFAULT_SAP_MAX_HOLD_SECONDS * MICROS_PER_SECOND],
  sapServers: 3,
  sapNumberBuffer: 10,
});

type Action = 'sale' | 'store_receipt' | 'store_transfer' | 'store_count' | 'sap' | 'mainframe';

/** Shares of new activity; each shipped transfer line later adds its "received" update on top. */
const ACTIONS: readonly (readonly [Action, number])[] = [
  ['sale', 75],
  ['store_receipt', 5],
  ['store_transfer', 3],
  ['store_count', 1],
  ['sap', 9],
  ['mainframe', 7],
];

/** Lines per till receipt. */
const BASKET_SIZES: readonly (readonly [number, number])[] = [
  [1, 45],
  [2, 25],
  [3, 15],
  [4, 10],
  [5, 5],
];
const RETURN_SHARE = 0.05;
/** How popular items are: Zipf exponent over the items' ranks. */
const POPULARITY_EXPONENT = 1;
/** Draws before giving up on finding an item that is not frozen by a count. */
const DRAWS = 8;

const SALE: QuantityRange = { EA: [1, 1], KG: [150, 2500], L: [500, 3000] };
const SALE_PIECES: readonly (readonly [number, number])[] = [
  [1, 70],
  [2, 20],
  [3, 7],
  [6, 3],
];
// Ranges chosen so that what flows into a location roughly matches what flows out of it over a
// run: stock neither runs away nor sinks far below zero, and counts find plausible numbers.
const STORE_RECEIPT: QuantityRange = { EA: [6, 24, 6], KG: [2000, 10000], L: [3000, 12000] };
const WAREHOUSE_RECEIPT: QuantityRange = { EA: [12, 24, 12], KG: [10000, 30000], L: [12000, 24000] };
const TRANSFER: QuantityRange = { EA: [12, 48, 6], KG: [5000, 25000], L: [6000, 24000] };
const SAP_INBOUND: QuantityRange = { EA: [24, 240, 12], KG: [20000, 200000], L: [20000, 200000] };
const SAP_OUTBOUND: QuantityRange = { EA: [12, 120, 12], KG: [10000, 90000], L: [10000, 90000] };
const SAP_TRANSFER: QuantityRange = { EA: [12, 48, 12], KG: [10000, 50000], L: [12000, 48000] };
const SAP_DIFFERENCE: QuantityRange = { EA: [1, 10], KG: [100, 5000], L: [100, 5000] };
const MAINFRAME_IN: QuantityRange = { EA: [12, 120, 12], KG: [10000, 100000], L: [10000, 100000] };
const MAINFRAME_OUT: QuantityRange = { EA: [6, 120, 6], KG: [5000, 90000], L: [5000, 90000] };
const ADJUSTMENT: QuantityRange = { EA: [1, 5], KG: [100, 2000], L: [100, 2000] };

const SUPPLIERS = ['Molkerei Weihenstephan', 'Dr. Oetker', 'Bauer Frischdienst', 'Henkel', 'Tchibo', 'Lindt'];

type SapDocument = 'receipt' | 'delivery' | 'issue' | 'gain' | 'loss' | 'transfer' | 'reversal';
const SAP_DOCUMENTS: readonly (readonly [SapDocument, number])[] = [
  ['receipt', 35],
  ['delivery', 20],
  ['issue', 5],
  ['gain', 5],
  ['loss', 5],
  ['transfer', 27],
  ['reversal', 3],
];
/**
 * The stock type a goods receipt posts into (INSMK): mostly unrestricted; some goods go to
 * quality inspection or are blocked, to be released later (321, 343); some is vendor
 * consignment (special stock K), which is not the company's own.
 */
type ReceiptStock = 'unrestricted' | 'inspection' | 'blocked' | 'consignment';
const RECEIPT_STOCK: readonly (readonly [ReceiptStock, number])[] = [
  ['unrestricted', 82],
  ['inspection', 10],
  ['blocked', 4],
  ['consignment', 4],
];
/** Share of blocked receipts released to unrestricted stock (343); the rest stays blocked. */
const BLOCKED_RELEASE_SHARE = 0.7;
/** Quality inspection or blocked stock is released between these durations after its receipt. */
const RELEASE_AFTER: readonly [Micros, Micros] = [2 * MICROS_PER_SECOND, 20 * MICROS_PER_SECOND];
/** Recent unrestricted receipts a reversal (102) may take back. */
const REVERSIBLE = 64;
/** Share of SAP postings of weighed items entered in grams (G converts to KG). */
const GRAMS_SHARE = 0.4;

/** Moves drawn for a warehouse; TRI is not drawn, it follows a TRO after the transit time. */
const MAINFRAME_MOVES: readonly (readonly [Exclude<MoveCode, 'TRI'>, number])[] = [
  ['RCV', 35],
  ['ISS', 35],
  ['ADJ', 12],
  ['TRO', 10],
  ['CNT', 8],
];
/** WM-SEQ-NO counts milliseconds since 2020 (12 digits last until 2051), so runs keep increasing it. */
const SEQUENCE_EPOCH_MS = Date.UTC(2020, 0, 1);
const MQ_MESSAGE_ID_PREFIX = Buffer.from('AMQ QMWH01  ', 'latin1');

type IdKind = 'sale' | 'receipt' | 'transfer';
/** Ids of one kind a run may use: 10^8 (see runNumber). */
const ID_BLOCK = 100_000_000n;

type SapEntry = { quantity: string; unit: string; base: string };
/** A material document's number, and how long its transaction stays open (a late commit) or none. */
type SapPosting = { number: number; holdMs?: number };

type Arrival =
  | { kind: 'store_transfer'; system: StoreSystem; row: TransferLineRow }
  | { kind: 'mainframe_transfer'; warehouse: MainframeWarehouse; item: SimulatedItem; quantity: string }
  /** Quality inspection (321) or blocked stock (343) released to unrestricted-use stock. */
  | {
      kind: 'sap_release';
      type: typeof SAP_MOVEMENT_TYPES.releaseInspection | typeof SAP_MOVEMENT_TYPES.releaseBlocked;
      from: string;
      plant: SapPlant;
      item: SimulatedItem;
      entry: SapEntry;
    };

/** A posted unrestricted receipt line, and from when it is committed (a reversal needs it). */
interface ReversibleLine {
  row: MatdocRow;
  plant: SapPlant;
  item: SimulatedItem;
  entry: SapEntry;
  committedBy: Micros;
}

export class ActivityGenerator {
  private readonly random: SeededRandom;
  private readonly popularity: ZipfSampler;
  /** The generator's own view of stock, for counts that find roughly what the books say. */
  private readonly book = new ExpectedLedger();
  /** Until when each sku@location is frozen by a count. */
  private readonly frozen = new Map<string, Micros>();
  /** What each stock_on_hand row holds now: an update's before-image. */
  private readonly countedRows = new Map<string, string>();
  private readonly arrivals = new DueQueue<Arrival>();
  private readonly idBase: bigint;
  private readonly ids: Record<IdKind, bigint> = { sale: 0n, receipt: 0n, transfer: 0n };
  /** The next number of SAP's material document number range ... */
  private materialDocument: number;
  /** ... and what each application server has buffered of it. */
  private readonly numberBuffers: { next: number; end: number }[];
  private readonly reversible: ReversibleLine[] = [];
  private readonly sequences = new Map<string, number>();
  private messages = 0;

  constructor(
    private readonly world: World,
    seed: number,
    private readonly settings: GeneratorSettings,
  ) {
    this.random = new SeededRandom(seed);
    this.popularity = new ZipfSampler(world.items.length, POPULARITY_EXPONENT);
    this.idBase = runNumber(world.runId) * ID_BLOCK;
    this.materialDocument = settings.firstMaterialDocument;
    this.numberBuffers = Array.from({ length: Math.max(1, settings.sapServers) }, () => ({
      next: 0,
      end: 0,
    }));
  }

  /** Transfers shipped and not yet received. */
  get inTransit(): number {
    return this.arrivals.size;
  }

  /**
   * The writes of the next action at time `at` (one or more, all at `at`), at most `budget` of
   * them. Times must increase from call to call.
   */
  next(at: Micros, budget: number): SourceWrite[] {
    let writes = this.arrival(at, budget) ?? this.action(at, Math.max(1, budget));
    // Everything the generator reaches may be frozen; the distribution center never is.
    if (writes.length === 0) writes = this.sapReceipt(at, this.world.distributionCenter);
    for (const write of writes) this.book.applyAll(stockEffects(write));
    return writes;
  }

  private action(at: Micros, budget: number): SourceWrite[] {
    switch (this.random.weighted(ACTIONS)) {
      case 'sale':
        return this.sale(at, budget);
      case 'store_receipt':
        return this.storeReceipt(at, budget);
      case 'store_transfer':
        return this.storeTransfer(at, budget);
      case 'store_count':
        return this.storeCount(at);
      case 'sap':
        return this.sapDocument(at, budget);
      case 'mainframe':
        return this.mainframeMove(at);
    }
  }

  // --- the stores' own systems -------------------------------------------------------------

  private sale(at: Micros, budget: number): SourceWrite[] {
    const store = this.random.pick(this.world.stores);
    const size = Math.min(budget, this.random.weighted(BASKET_SIZES));
    const saleId = this.nextId('sale');
    const writes: SourceWrite[] = [];
    for (let n = 0; n < size; n++) {
      const item = this.popularItem(store.id, at);
      if (!item) continue;
      const quantity =
        item.unit === 'EA'
          ? pieces(this.random.weighted(SALE_PIECES))
          : drawQuantity(this.random, item.unit, SALE);
      const returned = this.random.chance(RETURN_SHARE);
      writes.push({
        kind: 'sale_line',
        system: store.system,
        at,
        row: {
          sale_id: saleId,
          line_no: writes.length + 1,
          location_id: store.id,
          sku: item.sku,
          quantity: returned ? `-${quantity}` : quantity,
          unit: item.unit,
          unit_price: item.price,
          sold_at: at,
        },
      });
    }
    return writes;
  }

  private storeReceipt(at: Micros, budget: number): SourceWrite[] {
    const atWarehouse = this.random.chance(0.6);
    const location = this.random.pick(atWarehouse ? this.world.warehouses : this.world.stores);
    const lines = Math.min(budget, this.random.int(1, 3));
    const receiptId = this.nextId('receipt');
    const supplier = this.random.pick(SUPPLIERS);
    const writes: SourceWrite[] = [];
    for (let n = 0; n < lines; n++) {
      const item = this.popularItem(location.id, at);
      if (!item) continue;
      writes.push({
        kind: 'goods_receipt',
        system: location.system,
        at,
        row: {
          receipt_id: receiptId,
          line_no: writes.length + 1,
          location_id: location.id,
          sku: item.sku,
          quantity: drawQuantity(this.random, item.unit, atWarehouse ? WAREHOUSE_RECEIPT : STORE_RECEIPT),
          unit: item.unit,
          supplier,
          received_at: at,
        },
      });
    }
    return writes;
  }

  /** A warehouse ships to a store: the line leaves now and arrives after the transit time. */
  private storeTransfer(at: Micros, budget: number): SourceWrite[] {
    const to = this.random.pick(this.world.stores);
    const from = supplyingWarehouse(this.world, to);
    const lines = Math.min(budget, this.random.int(1, 3));
    const transferId = this.nextId('transfer');
    const writes: SourceWrite[] = [];
    for (let n = 0; n < lines; n++) {
      const item = this.popularItem(from.id, at);
      if (!item) continue;
      const row: TransferLineRow = {
        transfer_id: transferId,
        line_no: writes.length + 1,
        from_location: from.id,
        to_location: to.id,
        sku: item.sku,
        quantity: drawQuantity(this.random, item.unit, TRANSFER),
        unit: item.unit,
        status: 'shipped',
        shipped_at: at,
        received_at: null,
      };
      writes.push({ kind: 'transfer_shipped', system: from.system, at, row });
      this.arrivals.push(at + this.transitTime(), { kind: 'store_transfer', system: from.system, row });
    }
    return writes;
  }

  /** A cycle count of one item at one location: inserts its stock_on_hand row or updates it. */
  private storeCount(at: Micros): SourceWrite[] {
    const location = this.random.pick(this.world.storeLocations);
    const item = this.anyItem(location.id, at);
    if (!item) return [];
    const key = stockKey(item.sku, location.id);
    const previousQuantity = this.countedRows.get(key) ?? null;
    const quantity = this.countedQuantity(item, location.id);
    this.countedRows.set(key, quantity);
    this.freeze(key, at);
    return [
      {
        kind: 'stock_count',
        system: location.system,
        at,
        row: {
          location_id: location.id,
          sku: item.sku,
          quantity,
          unit: item.unit,
          counted_at: at,
          updated_at: at,
        },
        previousQuantity,
      },
    ];
  }

  // --- SAP -------------------------------------------------------------------------------

  private sapDocument(at: Micros, budget: number): SourceWrite[] {
    const world = this.world;
    const warehousePlants = world.sapPlants.filter((p) => p !== world.distributionCenter);
    let kind = this.random.weighted(SAP_DOCUMENTS);
    if (kind === 'transfer' && budget < 2) kind = 'receipt';
    switch (kind) {
      case 'receipt':
        // Suppliers deliver to the distribution center mostly, some straight to a warehouse.
        return this.sapReceipt(
          at,
          this.random.chance(0.6) ? world.distributionCenter : this.random.pick(world.sapPlants),
        );
      case 'delivery':
        return this.sapSingle(
          at,
          this.random.pick(world.sapPlants),
          SAP_MOVEMENT_TYPES.delivery,
          SAP_OUTBOUND,
        );
      case 'issue':
        return this.sapSingle(
          at,
          this.random.pick(world.sapPlants),
          SAP_MOVEMENT_TYPES.issueToProduction,
          SAP_OUTBOUND,
        );
      case 'gain':
        return this.sapSingle(
          at,
          this.random.pick(world.sapPlants),
          SAP_MOVEMENT_TYPES.inventoryGain,
          SAP_DIFFERENCE,
        );
      case 'loss':
        return this.sapSingle(
          at,
          this.random.pick(world.sapPlants),
          SAP_MOVEMENT_TYPES.inventoryLoss,
          SAP_DIFFERENCE,
        );
      case 'transfer': {
        // 301: plant to plant in one document, out of the distribution center, into a warehouse.
        const to = this.random.pick(warehousePlants);
        const item = this.popularItem(to.location, at);
        if (!item) return [];
        const entry = this.sapEntry(item, SAP_TRANSFER);
        const document = this.sapDocumentPosting();
        return [
          this.matdoc(at, document, 1, world.distributionCenter, item, SAP_MOVEMENT_TYPES.transferOut, entry),
          this.matdoc(at, document, 2, to, item, SAP_MOVEMENT_TYPES.transferIn, entry),
        ];
      }
      case 'reversal':
        return this.sapReversal(at) ?? this.sapReceipt(at, world.distributionCenter);
    }
  }

  /** A goods receipt (101) into unrestricted, quality inspection or blocked stock, or consignment. */
  private sapReceipt(at: Micros, plant: SapPlant): SourceWrite[] {
    const item = this.popularItem(plant.location, at);
    if (!item) return [];
    const entry = this.sapEntry(item, SAP_INBOUND);
    const stock = this.random.weighted(RECEIPT_STOCK);
    const document = this.sapDocumentPosting();
    const LBBSA_SID =
      stock === 'inspection'
        ? SAP_STOCK_TYPES.qualityInspection
        : stock === 'blocked'
          ? SAP_STOCK_TYPES.blocked
          : SAP_STOCK_TYPES.unrestricted;
    const write = this.matdoc(at, document, 1, plant, item, SAP_MOVEMENT_TYPES.goodsReceipt, entry, {
      LBBSA_SID,
      SOBKZ: stock === 'consignment' ? 'K' : '',
    });
    const committedBy = at + (document.holdMs ?? 0) * MICROS_PER_MILLI;
    if (stock === 'unrestricted') {
      this.reversible.push({ row: write.row, plant, item, entry, committedBy });
      if (this.reversible.length > REVERSIBLE) this.reversible.shift();
    }
    // A release is a document of its own, posted once the receipt is committed and inspected.
    const release = (
      type: typeof SAP_MOVEMENT_TYPES.releaseInspection | typeof SAP_MOVEMENT_TYPES.releaseBlocked,
    ) =>
      this.arrivals.push(committedBy + this.random.int(...RELEASE_AFTER), {
        kind: 'sap_release',
        type,
        from: LBBSA_SID,
        plant,
        item,
        entry,
      });
    if (stock === 'inspection') release(SAP_MOVEMENT_TYPES.releaseInspection);
    if (stock === 'blocked' && this.random.chance(BLOCKED_RELEASE_SHARE))
      release(SAP_MOVEMENT_TYPES.releaseBlocked);
    return [write];
  }

  /** A reversal (102) of a recent unrestricted receipt that is committed, naming it in SMBLN/SMBJP/SMBLP. */
  private sapReversal(at: Micros): SourceWrite[] | undefined {
    const i = this.reversible.findIndex(
      (r) => r.committedBy < at && !this.isFrozen(r.item.sku, r.plant.location, at),
    );
    if (i < 0) return undefined;
    const [original] = this.reversible.splice(i, 1);
    const { row, plant, item, entry } = original!;
    return [
      this.matdoc(at, this.sapDocumentPosting(), 1, plant, item, SAP_MOVEMENT_TYPES.receiptReversal, entry, {
        LBBSA_SID: row.LBBSA_SID,
        SOBKZ: row.SOBKZ,
        SMBLN: row.MBLNR,
        SMBJP: row.MJAHR,
        SMBLP: row.ZEILE,
      }),
    ];
  }

  private sapSingle(
    at: Micros,
    plant: SapPlant,
    type: { BWART: string; SHKZG: 'S' | 'H' },
    range: QuantityRange,
  ): SourceWrite[] {
    const item = this.popularItem(plant.location, at);
    if (!item) return [];
    return [this.matdoc(at, this.sapDocumentPosting(), 1, plant, item, type, this.sapEntry(item, range))];
  }

  /**
   * A material document: its number, from the buffer of the application server that posts it
   * (so numbers are not in the order of entry, let alone of commit), and how long its
   * transaction stays open when it is one of SAP's late commits.
   */
  private sapDocumentPosting(): SapPosting {
    const buffer = this.numberBuffers[this.random.int(0, this.numberBuffers.length - 1)]!;
    if (buffer.next >= buffer.end) {
      buffer.next = this.materialDocument;
      buffer.end = this.materialDocument + Math.max(1, this.settings.sapNumberBuffer);
      this.materialDocument = buffer.end;
    }
    const number = buffer.next++;
    if (!(this.settings.sapLateShare > 0) || !this.random.chance(this.settings.sapLateShare))
      return { number };
    const [min, max] = this.settings.sapHold;
    return { number, holdMs: Math.round(this.random.int(min, Math.max(min, max)) / MICROS_PER_MILLI) };
  }

  /** Quantity and unit of entry: pieces as ST, weighed goods in KG or grams, liquids in L. */
  private sapEntry(item: SimulatedItem, range: QuantityRange): SapEntry {
    const base = drawQuantity(this.random, item.unit, range);
    if (item.unit === 'KG' && this.random.chance(GRAMS_SHARE))
      return { quantity: fixed(new Exact(base).times(1000)), unit: 'G', base };
    return { quantity: base, unit: SAP_BASE_UNIT[item.unit]!, base };
  }

  private matdoc(
    at: Micros,
    document: SapPosting,
    line: number,
    plant: SapPlant,
    item: SimulatedItem,
    type: { BWART: string; SHKZG: 'S' | 'H' },
    entry: SapEntry,
    stock: Partial<Pick<MatdocRow, 'LBBSA_SID' | 'SOBKZ' | 'SMBLN' | 'SMBJP' | 'SMBLP'>> = {},
  ): Extract<SourceWrite, { kind: 'matdoc' }> {
    // The entry time is stamped when the document is entered, before the insert and the commit.
    const { dats, tims } = sourceLocalTime(at);
    const row: MatdocRow = {
      MANDT: '100',
      MBLNR: String(document.number),
      MJAHR: dats.slice(0, 4),
      ZEILE: String(line).padStart(4, '0'),
      MATNR: sapMaterialNumber(item.sku),
      WERKS: plant.WERKS,
      LGORT: plant.LGORT,
      CHARG: '',
      LBBSA_SID: stock.LBBSA_SID ?? SAP_STOCK_TYPES.unrestricted,
      SOBKZ: stock.SOBKZ ?? '',
      BWART: type.BWART,
      SHKZG: type.SHKZG,
      MENGE: entry.base,
      MEINS: SAP_BASE_UNIT[item.unit]!,
      ERFMG: entry.quantity,
      ERFME: entry.unit,
      STOCK_QTY: stockQuantity(entry.base, type.SHKZG),
      SMBLN: stock.SMBLN ?? '',
      SMBJP: stock.SMBJP ?? '',
      SMBLP: stock.SMBLP ?? '',
      BUDAT_MKPF: dats,
      CPUDT_MKPF: dats,
      CPUTM_MKPF: tims,
      USNAM_MKPF: 'SIMULATOR',
    };
    return {
      kind: 'matdoc',
      system: 'sap',
      at,
      row,
      ...(document.holdMs === undefined ? {} : { holdMs: document.holdMs }),
    };
  }

  // --- mainframe -------------------------------------------------------------------------

  private mainframeMove(at: Micros): SourceWrite[] {
    const warehouses = this.world.mainframeWarehouses;
    const warehouse = this.random.pick(warehouses);
    let code = this.random.weighted(MAINFRAME_MOVES);
    if (code === 'TRO' && warehouses.length < 2) code = 'RCV';
    const item =
      code === 'CNT' ? this.anyItem(warehouse.location, at) : this.popularItem(warehouse.location, at);
    if (!item) return [];
    switch (code) {
      case 'RCV':
        return [this.whmove(at, warehouse, item, code, drawQuantity(this.random, item.unit, MAINFRAME_IN))];
      case 'ISS':
        return [this.whmove(at, warehouse, item, code, drawQuantity(this.random, item.unit, MAINFRAME_OUT))];
      case 'ADJ': {
        const quantity = drawQuantity(this.random, item.unit, ADJUSTMENT);
        return [this.whmove(at, warehouse, item, code, this.random.chance(0.7) ? `-${quantity}` : quantity)];
      }
      case 'TRO': {
        const to = warehouses.find((w) => w !== warehouse)!;
        const quantity = drawQuantity(this.random, item.unit, TRANSFER);
        this.arrivals.push(at + this.transitTime(), {
          kind: 'mainframe_transfer',
          warehouse: to,
          item,
          quantity,
        });
        return [this.whmove(at, warehouse, item, code, quantity)];
      }
      case 'CNT': {
        const quantity = this.countedQuantity(item, warehouse.location);
        this.freeze(stockKey(item.sku, warehouse.location), at);
        return [this.whmove(at, warehouse, item, code, quantity)];
      }
    }
  }

  private whmove(
    at: Micros,
    warehouse: MainframeWarehouse,
    item: SimulatedItem,
    code: MoveCode,
    quantity: string,
  ): SourceWrite {
    // Sequence numbers per warehouse follow the clock in milliseconds, and always increase.
    const sinceEpoch = Math.floor(at / MICROS_PER_MILLI) - SEQUENCE_EPOCH_MS;
    const sequence = Math.max((this.sequences.get(warehouse.id) ?? 0) + 1, sinceEpoch);
    this.sequences.set(warehouse.id, sequence);
    const record: WhmoveRecord = {
      'WM-REC-TYPE': code === 'CNT' ? 'CT' : 'MV',
      'WM-WAREHOUSE-ID': warehouse.id,
      'WM-SKU': item.sku,
      'WM-MOVE-CODE': code,
      'WM-QUANTITY': quantity,
      'WM-UOM': item.unit,
      'WM-MOVE-TS': sourceLocalTime(at).db2,
      'WM-SEQ-NO': String(sequence).padStart(12, '0'),
    };
    return { kind: 'whmove', system: 'mainframe', at, record, msgId: this.messageId() };
  }

  /** MQMD message ids are 24 bytes: "AMQ " and the queue manager, then bytes unique to the message. */
  private messageId(): string {
    const unique = Buffer.alloc(12);
    unique.write(this.world.runId, 0, 5, 'latin1');
    unique.writeUIntBE(++this.messages, 6, 6);
    return Buffer.concat([MQ_MESSAGE_ID_PREFIX, unique]).toString('hex').toUpperCase();
  }

  // --- arrivals, counts, freezes -----------------------------------------------------------

  /**
   * A transfer or an SAP release due by now, unless its destination is frozen by a count (then
   * it waits), or a release of two lines when the run has room for one only.
   */
  private arrival(at: Micros, budget: number): SourceWrite[] | undefined {
    for (;;) {
      const due = this.arrivals.popDue(at);
      if (!due) return undefined;
      const a = due.value;
      const sku = a.kind === 'store_transfer' ? a.row.sku : a.item.sku;
      const location =
        a.kind === 'store_transfer'
          ? a.row.to_location
          : a.kind === 'mainframe_transfer'
            ? a.warehouse.location
            : a.plant.location;
      const frozenUntil = this.frozen.get(stockKey(sku, location));
      if (frozenUntil !== undefined && frozenUntil >= at) {
        this.arrivals.push(frozenUntil + 1, a);
        continue;
      }
      switch (a.kind) {
        case 'store_transfer':
          return [
            {
              kind: 'transfer_received',
              system: a.system,
              at,
              row: { ...a.row, status: 'received', received_at: at },
            },
          ];
        case 'mainframe_transfer':
          return [this.whmove(at, a.warehouse, a.item, 'TRI', a.quantity)];
        case 'sap_release': {
          if (budget < 2) {
            this.arrivals.push(at + 1, a);
            return undefined;
          }
          // One document, two lines: out of the stock type it was in, into unrestricted-use stock.
          const document = this.sapDocumentPosting();
          return [
            this.matdoc(at, document, 1, a.plant, a.item, { BWART: a.type.BWART, SHKZG: 'H' }, a.entry, {
              LBBSA_SID: a.from,
            }),
            this.matdoc(at, document, 2, a.plant, a.item, { BWART: a.type.BWART, SHKZG: 'S' }, a.entry, {
              LBBSA_SID: SAP_STOCK_TYPES.unrestricted,
            }),
          ];
        }
      }
    }
  }

  /** What a count finds: the books, less a little shrinkage now and then, never below zero. */
  private countedQuantity(item: SimulatedItem, location: string): string {
    const books = this.book.quantityOf(item.sku, location) ?? new Exact(0);
    const step = item.unit === 'EA' ? '1' : '0.05';
    const shrinkage = this.random.weighted([
      [0, 70],
      [-1, 14],
      [-2, 8],
      [1, 5],
      [-3, 3],
    ] as const);
    const counted = books.plus(new Exact(step).times(shrinkage));
    return fixed(counted.isNegative() ? new Exact(0) : counted);
  }

  private freeze(key: string, at: Micros): void {
    this.frozen.set(key, at + this.settings.countFreeze);
  }

  private isFrozen(sku: string, location: string, at: Micros): boolean {
    const until = this.frozen.get(stockKey(sku, location));
    return until !== undefined && until >= at;
  }

  /** A popular item (Zipf over the items) that is not frozen at `location`. */
  private popularItem(location: string, at: Micros): SimulatedItem | undefined {
    for (let n = 0; n < DRAWS; n++) {
      const item = this.world.items[this.popularity.rank(this.random.float())]!;
      if (!this.isFrozen(item.sku, location, at)) return item;
    }
    return undefined;
  }

  /** Any item, all equally likely (cycle counts go through the whole range). */
  private anyItem(location: string, at: Micros): SimulatedItem | undefined {
    for (let n = 0; n < DRAWS; n++) {
      const item = this.random.pick(this.world.items);
      if (!this.isFrozen(item.sku, location, at)) return item;
    }
    return undefined;
  }

  private transitTime(): Micros {
    const [min, max] = this.settings.transit;
    return this.random.int(min, max);
  }

  private nextId(kind: IdKind): string {
    this.ids[kind] += 1n;
    if (this.ids[kind] >= ID_BLOCK) throw new Error(`a run makes at most ${ID_BLOCK} ${kind} ids`);
    return String(this.idBase + this.ids[kind]);
  }
}
