// The retailer a simulation runs: its locations, the items of this run, and which source
// system keeps what. Every run gets its own SKUs (derived from the run id), so its stock
// starts at zero everywhere and the expected stock follows from what the run wrote alone.
import { randomInt } from 'node:crypto';
import { ITEMS, LOCATIONS, ean13 } from '../samples/sample-data.js';
import { UsageError } from '../../errors.js';
import { SeededRandom } from './random.js';
import { SAP_PLANT_LOCATIONS, WAREHOUSE_LOCATIONS } from './source-lookups.js';

export type StoreSystem = 'store-pg' | 'store-maria';
export type ItemUnit = 'EA' | 'KG' | 'L';

export interface SimulatedItem {
  sku: string;
  description: string;
  unit: ItemUnit;
  /** Shelf price per unit, decimal text. */
  price: string;
}

export interface SimulatedLocation {
  id: string;
  name: string;
  kind: 'store' | 'warehouse' | 'distribution_center';
  region: 'north' | 'south' | 'central';
  storeNumber: number | null;
  /** The store database that keeps its sales, receipts, transfers and counts. */
  system: StoreSystem;
  /** Whether the stack's seed created it; others are created by the simulator. */
  seeded: boolean;
}

export interface SapPlant {
  WERKS: string;
  LGORT: string;
  location: string;
}

export interface MainframeWarehouse {
  /** WM-WAREHOUSE-ID (mappings/lookups/warehouse-locations.csv). */
  id: string;
  location: string;
}

export interface WorldOptions {
  stores: number;
  warehouses: number;
  items: number;
}

export interface World {
  runId: string;
  skuPrefix: string;
  items: SimulatedItem[];
  stores: SimulatedLocation[];
  /** Warehouses the store databases know (W001 in PostgreSQL, W002 in MariaDB). */
  warehouses: SimulatedLocation[];
  /** Every location of the stores' own systems: stores and warehouses. */
  storeLocations: SimulatedLocation[];
  /** SAP plants with their storage location (mappings/lookups/sap-plant-locations.csv). */
  sapPlants: SapPlant[];
  distributionCenter: SapPlant;
  mainframeWarehouses: MainframeWarehouse[];
}

/** Limits of the id scheme: store numbers S001-S099 north, S101-S199 south. */
export const MAX_STORES = 198;
export const MAX_WAREHOUSES = 2;
/** SKUs are `S<run id>-<5 digits>`; 12 characters fit WHMOVE's 18 and the store tables' 20. */
export const MAX_ITEMS = 99_999;

const RUN_ID = /^[0-9A-Z]{5}$/;
const RUN_ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A fresh run id: five characters from [0-9A-Z], 60 million possibilities. */
export function newRunId(): string {
  return Array.from({ length: 5 }, () => RUN_ID_ALPHABET[randomInt(RUN_ID_ALPHABET.length)]).join('');
}

export function checkRunId(text: string): string {
  const id = text.toUpperCase();
  if (!RUN_ID.test(id))
    throw new UsageError(`run id "${text}" must be five letters or digits (for example K3F9A)`, {
      runId: text,
    });
  return id;
}

/**
 * The run id as a number: source ids of the run (sale, receipt and transfer ids) are
 * `runNumber * 10^8 + n`: unique across runs without asking the databases, and below 2^53, so
 * that every JSON reader of the change events reads them exactly.
 */
export function runNumber(runId: string): bigint {
  return BigInt(parseInt(runId, 36));
}

export const skuPrefixOf = (runId: string): string => `S${runId}-`;

export function skuOf(runId: string, index: number): string {
  return `${skuPrefixOf(runId)}${String(index + 1).padStart(5, '0')}`;
}

/**
 * An EAN-13 in the restricted-circulation range (prefix 2): "2", six digits that the caller
 * chooses so that no other run used them, and the item's five-digit index.
 */
export function itemBarcode(block: number, index: number): string {
  return ean13(`2${String(block).padStart(6, '0')}${String(index + 1).padStart(5, '0')}`);
}

/**
 * A starting barcode block for a run, spread over the range so that runs rarely meet; never
 * below 100000, whose barcodes ("2000...") the integration tests make up for their own items.
 */
export function barcodeBlockOf(runId: string): number {
  return 100_000 + Number(runNumber(runId) % 900_000n);
}

const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

function storeLocation(region: 'north' | 'south', n: number): SimulatedLocation {
  const id = `S${String((region === 'north' ? 0 : 100) + n).padStart(3, '0')}`;
  const seeded = LOCATIONS.find((l) => l.location_id === id);
  return {
    id,
    name: seeded?.name ?? `Store ${id} (simulated)`,
    kind: 'store',
    region,
    storeNumber: seeded?.store_number ?? Number(id.slice(1)),
    system: region === 'north' ? 'store-pg' : 'store-maria',
    seeded: seeded !== undefined,
  };
}

function seededLocation(id: string, system: StoreSystem): SimulatedLocation {
  const l = LOCATIONS.find((location) => location.location_id === id);
  if (!l) throw new Error(`location ${id} is not in the seed`);
  return {
    id,
    name: l.name,
    kind: l.kind,
    region: l.region,
    storeNumber: l.store_number,
    system,
    seeded: true,
  };
}

function plantOf(location: string): SapPlant {
  const plant = SAP_PLANT_LOCATIONS.find((p) => p.location === location);
  if (!plant) throw new Error(`no SAP plant for ${location}`);
  return plant;
}

export function buildWorld(runId: string, options: WorldOptions, seed: number): World {
  const { stores, warehouses, items } = options;
  if (!Number.isInteger(stores) || stores < 1 || stores > MAX_STORES)
    throw new UsageError(`--stores must be 1 to ${MAX_STORES}, not ${stores}`);
  if (!Number.isInteger(warehouses) || warehouses < 1 || warehouses > MAX_WAREHOUSES)
    throw new UsageError(
      `--warehouses must be 1 or 2 (W001 north, W002 south; the mainframe and SAP know no others), not ${warehouses}`,
    );
  if (!Number.isInteger(items) || items < 1 || items > MAX_ITEMS)
    throw new UsageError(`--items must be 1 to ${MAX_ITEMS}, not ${items}`);

  // A stream of its own, so that prices do not shift the activity's random sequence.
  const random = new SeededRandom(seed ^ 0x5eed1e55);
  const simulatedItems = Array.from({ length: items }, (_, i): SimulatedItem => {
    const template = ITEMS[i % ITEMS.length]!;
    return {
      sku: skuOf(runId, i),
      description: `${template.description} (simulated ${runId})`,
      unit: template.unit,
      price: cents(random.int(49, 2999)),
    };
  });
  const north = Math.ceil(stores / 2);
  const storeList = [
    ...Array.from({ length: north }, (_, i) => storeLocation('north', i + 1)),
    ...Array.from({ length: stores - north }, (_, i) => storeLocation('south', i + 1)),
  ];
  const warehouseList = [seededLocation('W001', 'store-pg')];
  if (warehouses === 2) warehouseList.push(seededLocation('W002', 'store-maria'));
  const mainframe: MainframeWarehouse[] = Object.entries(WAREHOUSE_LOCATIONS)
    .filter(([, location]) => warehouseList.some((w) => w.id === location))
    .map(([id, location]) => ({ id, location }));
  const distributionCenter = plantOf('DC01');

  return {
    runId,
    skuPrefix: skuPrefixOf(runId),
    items: simulatedItems,
    stores: storeList,
    warehouses: warehouseList,
    storeLocations: [...storeList, ...warehouseList],
    sapPlants: [distributionCenter, ...warehouseList.map((w) => plantOf(w.id))],
    distributionCenter,
    mainframeWarehouses: mainframe,
  };
}

/** The warehouse that supplies a store: its region's, or W001 when the region has none. */
export function supplyingWarehouse(world: World, store: SimulatedLocation): SimulatedLocation {
  return world.warehouses.find((w) => w.region === store.region) ?? world.warehouses[0]!;
}
