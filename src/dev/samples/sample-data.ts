/**
 * A small, realistic and deterministic retailer for the local stack: stores and warehouses
 * in two regions, items with EAN-13 barcodes, current stock per location, and a few days of
 * sale lines, goods receipts and transfers. The northern locations live in the store
 * PostgreSQL, the southern ones in the store MariaDB, the plants in the SAP stand-in.
 * Quantities are decimal strings: the sample never passes through binary floating point.
 */
export interface Location {
  location_id: string;
  name: string;
  kind: 'store' | 'warehouse' | 'distribution_center';
  region: 'north' | 'south' | 'central';
  store_number: number | null;
}

export interface Item {
  sku: string;
  barcode: string;
  description: string;
  unit: 'EA' | 'KG' | 'L';
}

export interface StockRow {
  location_id: string;
  sku: string;
  quantity: string;
  unit: string;
  counted_at: Date | null;
  updated_at: Date;
}

export interface SaleLine {
  sale_id: number;
  line_no: number;
  location_id: string;
  sku: string;
  quantity: string;
  unit: string;
  unit_price: string;
  sold_at: Date;
}

export interface ReceiptLine {
  receipt_id: number;
  line_no: number;
  location_id: string;
  sku: string;
  quantity: string;
  unit: string;
  supplier: string;
  received_at: Date;
}

export interface TransferLine {
  transfer_id: number;
  line_no: number;
  from_location: string;
  to_location: string;
  sku: string;
  quantity: string;
  unit: string;
  status: 'shipped' | 'received';
  shipped_at: Date;
  received_at: Date | null;
}

export interface StoreSample {
  locations: Location[];
  items: Item[];
  stock: StockRow[];
  sales: SaleLine[];
  receipts: ReceiptLine[];
  transfers: TransferLine[];
}

export const LOCATIONS: Location[] = [
  { location_id: 'S001', name: 'Berlin Alexanderplatz', kind: 'store', region: 'north', store_number: 1 },
  { location_id: 'S002', name: 'Hamburg Jungfernstieg', kind: 'store', region: 'north', store_number: 2 },
  { location_id: 'S003', name: 'Hannover Kröpcke', kind: 'store', region: 'north', store_number: 3 },
  {
    location_id: 'W001',
    name: 'Warehouse North, Hamburg-Billbrook',
    kind: 'warehouse',
    region: 'north',
    store_number: null,
  },
  { location_id: 'S101', name: 'München Marienplatz', kind: 'store', region: 'south', store_number: 101 },
  { location_id: 'S102', name: 'Stuttgart Königstraße', kind: 'store', region: 'south', store_number: 102 },
  { location_id: 'S103', name: 'Nürnberg Lorenzkirche', kind: 'store', region: 'south', store_number: 103 },
  {
    location_id: 'W002',
    name: 'Warehouse South, Augsburg',
    kind: 'warehouse',
    region: 'south',
    store_number: null,
  },
  {
    location_id: 'DC01',
    name: 'Distribution Center Kassel',
    kind: 'distribution_center',
    region: 'central',
    store_number: null,
  },
];

const ITEM_NAMES: [string, Item['unit']][] = [
  ['Whole milk 3.5% 1 L', 'EA'],
  ['Butter 250 g', 'EA'],
  ['Free-range eggs, 10 pack', 'EA'],
  ['Sourdough rye bread 750 g', 'EA'],
  ['Bananas, loose', 'KG'],
  ['Apples Elstar, loose', 'KG'],
  ['Tomatoes on the vine, loose', 'KG'],
  ['Potatoes, waxy, loose', 'KG'],
  ['Emmental cheese, by weight', 'KG'],
  ['Olive oil extra virgin 0.75 L', 'EA'],
  ['Spaghetti 500 g', 'EA'],
  ['Basmati rice 1 kg', 'EA'],
  ['Ground coffee 500 g', 'EA'],
  ['Black tea, 25 bags', 'EA'],
  ['Sparkling water 1.5 L', 'EA'],
  ['Orange juice 1 L', 'EA'],
  ['Draught apple juice', 'L'],
  ['Dishwasher tablets, 40 pack', 'EA'],
  ['Toilet paper, 8 rolls', 'EA'],
  ['Laundry detergent 2.5 L', 'EA'],
  ['Toothpaste 75 ml', 'EA'],
  ['Shampoo 300 ml', 'EA'],
  ['Dark chocolate 100 g', 'EA'],
  ['Potato crisps 175 g', 'EA'],
];

/** Mulberry32: a tiny seeded generator, so the sample is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** EAN-13 check digit over the first twelve digits. */
export function ean13(first12: string): string {
  const sum = [...first12].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return first12 + String((10 - (sum % 10)) % 10);
}

export const ITEMS: Item[] = ITEM_NAMES.map(([description, unit], i) => ({
  sku: String(100200 + i * 7),
  barcode: ean13(`400638${String(133300 + i * 11).padStart(6, '0')}`),
  description,
  unit,
}));

/** Integer thousandths as a decimal string with three places ("12345" -> "12.345"). */
export function milli(thousandths: number): string {
  const sign = thousandths < 0 ? '-' : '';
  const abs = Math.abs(thousandths);
  return `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
}

function quantity(random: () => number, unit: string, min: number, max: number): string {
  const whole = min + Math.floor(random() * (max - min + 1));
  return unit === 'EA' ? milli(whole * 1000) : milli(whole * 1000 + Math.floor(random() * 1000));
}

const BASE_TIME = Date.UTC(2026, 10, 20, 7, 0, 0);

export function storeSample(region: 'north' | 'south', seed: number): StoreSample {
  const random = seededRandom(seed);
  const own = LOCATIONS.filter((l) => l.region === region);
  const stores = own.filter((l) => l.kind === 'store');
  const warehouse = own.find((l) => l.kind === 'warehouse')!;
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
  const at = (minutes: number) => new Date(BASE_TIME + minutes * 60000);

  const stock: StockRow[] = own.flatMap((location) =>
    ITEMS.map((item) => ({
      location_id: location.location_id,
      sku: item.sku,
      quantity: quantity(
        random,
        item.unit,
        location.kind === 'store' ? 5 : 200,
        location.kind === 'store' ? 80 : 2000,
      ),
      unit: item.unit,
      counted_at: at(-24 * 60),
      updated_at: at(0),
    })),
  );
  const sales: SaleLine[] = [];
  for (let sale = 1; sale <= 25; sale++) {
    const lines = 1 + Math.floor(random() * 4);
    const location = pick(stores);
    for (let line = 1; line <= lines; line++) {
      const item = pick(ITEMS);
      const isReturn = random() < 0.05;
      const q = quantity(random, item.unit, 1, item.unit === 'EA' ? 4 : 2);
      sales.push({
        sale_id: (region === 'north' ? 1_000_000 : 2_000_000) + sale,
        line_no: line,
        location_id: location.location_id,
        sku: item.sku,
        quantity: isReturn ? `-${q}` : q,
        unit: item.unit,
        unit_price: (0.49 + Math.floor(random() * 1500) / 100).toFixed(2),
        sold_at: at(60 + sale * 7),
      });
    }
  }
  const receipts: ReceiptLine[] = [];
  for (let receipt = 1; receipt <= 5; receipt++) {
    for (let line = 1; line <= 3; line++) {
      const item = ITEMS[(receipt * 3 + line) % ITEMS.length]!;
      receipts.push({
        receipt_id: (region === 'north' ? 5_000_000 : 6_000_000) + receipt,
        line_no: line,
        location_id: receipt % 2 === 0 ? warehouse.location_id : pick(stores).location_id,
        sku: item.sku,
        quantity: quantity(random, item.unit, 10, 120),
        unit: item.unit,
        supplier: pick(['Molkerei Weihenstephan', 'Dr. Oetker', 'Bauer Frischdienst', 'Henkel', 'Tchibo']),
        received_at: at(30 + receipt * 45),
      });
    }
  }
  const transfers: TransferLine[] = [];
  for (let transfer = 1; transfer <= 4; transfer++) {
    const to = stores[transfer % stores.length]!;
    for (let line = 1; line <= 2; line++) {
      const item = ITEMS[(transfer * 5 + line) % ITEMS.length]!;
      const received = transfer <= 2;
      transfers.push({
        transfer_id: (region === 'north' ? 8_000_000 : 9_000_000) + transfer,
        line_no: line,
        from_location: warehouse.location_id,
        to_location: to.location_id,
        sku: item.sku,
        quantity: quantity(random, item.unit, 12, 48),
        unit: item.unit,
        status: received ? 'received' : 'shipped',
        shipped_at: at(transfer * 90),
        received_at: received ? at(transfer * 90 + 240) : null,
      });
    }
  }
  return { locations: LOCATIONS, items: ITEMS, stock, sales, receipts, transfers };
}

/** SAP plants and storage locations, and which stockline location each one is. */
export const SAP_PLANTS = [
  { WERKS: '1000', LGORT: '0001', location_id: 'DC01' },
  { WERKS: '1100', LGORT: '0001', location_id: 'W001' },
  { WERKS: '1200', LGORT: '0001', location_id: 'W002' },
];

/**
 * One MATDOC line, in the stand-in's columns (connectors/seed/sap-standin.sql). STOCK_QTY is the
 * signed change of the stock type LBBSA_SID in the base unit: +MENGE for S, -MENGE for H.
 */
export interface MatdocRow {
  MANDT: string;
  MBLNR: string;
  MJAHR: string;
  ZEILE: string;
  MATNR: string;
  WERKS: string;
  LGORT: string;
  CHARG: string;
  /** Stock type: 01 unrestricted, 02 quality inspection, 07 blocked ... (SAP_STOCK_TYPES). */
  LBBSA_SID: string;
  /** Special stock indicator: '' own stock, K vendor consignment ... */
  SOBKZ: string;
  BWART: string;
  SHKZG: 'S' | 'H';
  MENGE: string;
  MEINS: string;
  ERFMG: string;
  ERFME: string;
  STOCK_QTY: string;
  /** A reversal names the document line it reverses; '' otherwise. */
  SMBLN: string;
  SMBJP: string;
  SMBLP: string;
  BUDAT_MKPF: string;
  CPUDT_MKPF: string;
  CPUTM_MKPF: string;
  USNAM_MKPF: string;
}

/** LBBSA_SID values and the MARD column each one is summed into (connectors/seed/sap-standin.sql). */
export const SAP_STOCK_TYPES = {
  unrestricted: '01',
  qualityInspection: '02',
  returns: '03',
  inTransfer: '04',
  blocked: '07',
  restricted: '08',
} as const;

/** MATDOC's STOCK_QTY: the base quantity, negative for a credit (H). */
export function stockQuantity(menge: string, shkzg: 'S' | 'H'): string {
  return shkzg === 'H' && !/^0(\.0+)?$/.test(menge) ? `-${menge}` : menge;
}

/** SAP's internal unit for pieces is ST; KG and L are the same. */
export const SAP_UNIT: Record<Item['unit'], string> = { EA: 'ST', KG: 'KG', L: 'L' };

export function sapMaterialNumber(sku: string): string {
  return sku.padStart(18, '0');
}

/** The sample's opening balances are documents 4800000001 and on (movement type 561), its movements 4900000001 and on. */
export const SAP_SAMPLE_DOCUMENTS = { openings: 4_800_000_000, movements: 4_900_000_000 } as const;

/**
 * The SAP stand-in's sample: opening balances (one 561 document per plant: unrestricted stock of
 * every item, quality-inspection stock of some) and 30 goods movements. MARD is their sum.
 */
export function sapSample(seed: number): { openings: MatdocRow[]; movements: MatdocRow[] } {
  const random = seededRandom(seed);
  const line = (
    fields: Pick<
      MatdocRow,
      'MBLNR' | 'ZEILE' | 'MATNR' | 'WERKS' | 'LGORT' | 'LBBSA_SID' | 'BWART' | 'SHKZG'
    > & {
      MENGE: string;
      MEINS: string;
      ERFMG: string;
      ERFME: string;
      date: string;
      time: string;
      user: string;
    },
  ): MatdocRow => ({
    MANDT: '100',
    MBLNR: fields.MBLNR,
    MJAHR: fields.date.slice(0, 4),
    ZEILE: fields.ZEILE,
    MATNR: fields.MATNR,
    WERKS: fields.WERKS,
    LGORT: fields.LGORT,
    CHARG: '',
    LBBSA_SID: fields.LBBSA_SID,
    SOBKZ: '',
    BWART: fields.BWART,
    SHKZG: fields.SHKZG,
    MENGE: fields.MENGE,
    MEINS: fields.MEINS,
    ERFMG: fields.ERFMG,
    ERFME: fields.ERFME,
    STOCK_QTY: stockQuantity(fields.MENGE, fields.SHKZG),
    SMBLN: '',
    SMBJP: '',
    SMBLP: '',
    BUDAT_MKPF: fields.date,
    CPUDT_MKPF: fields.date,
    CPUTM_MKPF: fields.time,
    USNAM_MKPF: fields.user,
  });
  const openings: MatdocRow[] = [];
  SAP_PLANTS.forEach((plant, p) => {
    let zeile = 0;
    for (const item of ITEMS) {
      const unit = SAP_UNIT[item.unit];
      const unrestricted = quantity(random, item.unit, 500, 5000);
      const inspection = random() < 0.1 ? quantity(random, item.unit, 1, 20) : undefined;
      for (const [LBBSA_SID, MENGE] of [
        [SAP_STOCK_TYPES.unrestricted, unrestricted],
        [SAP_STOCK_TYPES.qualityInspection, inspection],
      ] as const) {
        if (MENGE === undefined) continue;
        openings.push(
          line({
            MBLNR: String(SAP_SAMPLE_DOCUMENTS.openings + p + 1),
            ZEILE: String(++zeile).padStart(4, '0'),
            MATNR: sapMaterialNumber(item.sku),
            WERKS: plant.WERKS,
            LGORT: plant.LGORT,
            LBBSA_SID,
            BWART: '561',
            SHKZG: 'S',
            MENGE,
            MEINS: unit,
            ERFMG: MENGE,
            ERFME: unit,
            date: '20261101',
            time: '060000',
            user: 'MIGRATION',
          }),
        );
      }
    }
  });
  // Movement types: 101 goods receipt (S), 601 delivery to a store (H), 701/702 inventory
  // differences (S/H), 261 issue (H).
  const types: [string, 'S' | 'H'][] = [
    ['101', 'S'],
    ['601', 'H'],
    ['601', 'H'],
    ['601', 'H'],
    ['701', 'S'],
    ['702', 'H'],
    ['261', 'H'],
  ];
  const movements: MatdocRow[] = [];
  for (let doc = 1; doc <= 30; doc++) {
    const [BWART, SHKZG] = types[Math.floor(random() * types.length)]!;
    const plant = SAP_PLANTS[Math.floor(random() * SAP_PLANTS.length)]!;
    const item = ITEMS[Math.floor(random() * ITEMS.length)]!;
    const unit = SAP_UNIT[item.unit];
    // Goods receipts of pieces are entered in cartons of 12 (unit of entry KAR).
    const cartons = BWART === '101' && item.unit === 'EA';
    const entered = cartons ? 1 + Math.floor(random() * 20) : 0;
    const menge = cartons ? milli(entered * 12 * 1000) : quantity(random, item.unit, 1, 60);
    const minutes = doc * 17;
    movements.push(
      line({
        MBLNR: String(SAP_SAMPLE_DOCUMENTS.movements + doc),
        ZEILE: '0001',
        MATNR: sapMaterialNumber(item.sku),
        WERKS: plant.WERKS,
        LGORT: plant.LGORT,
        LBBSA_SID: SAP_STOCK_TYPES.unrestricted,
        BWART,
        SHKZG,
        MENGE: menge,
        MEINS: unit,
        ERFMG: cartons ? milli(entered * 1000) : menge,
        ERFME: cartons ? 'KAR' : unit,
        date: '20261120',
        time: `${String(8 + Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}00`,
        user: 'WM_BATCH',
      }),
    );
  }
  return { openings, movements };
}
