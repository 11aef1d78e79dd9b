// The few lookup rows the simulator relies on, written out here so that the expected stock is
// computed without the pipeline's mapping engine. source-lookups.test.ts checks every row
// against mappings/lookups/*.csv, so a change there cannot silently diverge from this.
import { SAP_PLANTS } from '../samples/sample-data.js';

/** SAP plant + storage location -> location (sap-plant-locations.csv; the seed has the same). */
export const SAP_PLANT_LOCATIONS: readonly { WERKS: string; LGORT: string; location: string }[] =
  SAP_PLANTS.map((p) => ({ WERKS: p.WERKS, LGORT: p.LGORT, location: p.location_id }));

/** Mainframe warehouse id -> location (warehouse-locations.csv). */
export const WAREHOUSE_LOCATIONS: Readonly<Record<string, string>> = { WH0001: 'W001', WH0002: 'W002' };

/** Entry units the simulator writes -> base unit and factor (unit-conversions.csv, sku "*"). */
export const UNIT_CONVERSIONS: Readonly<Record<string, { baseUnit: string; factor: string }>> = {
  EA: { baseUnit: 'EA', factor: '1' },
  ST: { baseUnit: 'EA', factor: '1' },
  KG: { baseUnit: 'KG', factor: '1' },
  G: { baseUnit: 'KG', factor: '0.001' },
  L: { baseUnit: 'L', factor: '1' },
};

/** SAP's unit for each base unit (pieces are ST in SAP). */
export const SAP_BASE_UNIT: Readonly<Record<string, string>> = { EA: 'ST', KG: 'KG', L: 'L' };

export type MoveCode = 'RCV' | 'ISS' | 'TRO' | 'TRI' | 'ADJ' | 'CNT';

/** WHMOVE move code -> sign (whmove-move-codes.csv); ADJ carries its own sign in the quantity. */
export const MOVE_CODE_SIGNS: Readonly<Record<MoveCode, 1 | -1>> = {
  RCV: 1,
  ISS: -1,
  TRO: -1,
  TRI: 1,
  ADJ: 1,
  CNT: 1,
};

/** SAP movement types the simulator posts, with their debit/credit indicator (sap-movement-reasons.csv). */
export const SAP_MOVEMENT_TYPES = {
  goodsReceipt: { BWART: '101', SHKZG: 'S' },
  delivery: { BWART: '601', SHKZG: 'H' },
  issueToProduction: { BWART: '261', SHKZG: 'H' },
  inventoryGain: { BWART: '701', SHKZG: 'S' },
  inventoryLoss: { BWART: '702', SHKZG: 'H' },
  transferOut: { BWART: '301', SHKZG: 'H' },
  transferIn: { BWART: '301', SHKZG: 'S' },
  /** Reversal of a goods receipt: takes it back out, naming it in SMBLN/SMBJP/SMBLP. */
  receiptReversal: { BWART: '102', SHKZG: 'H' },
  /** Quality inspection -> unrestricted: an H line of stock type 02 and an S line of 01. */
  releaseInspection: { BWART: '321', SHKZG: 'S' },
  /** Blocked -> unrestricted: an H line of stock type 07 and an S line of 01. */
  releaseBlocked: { BWART: '343', SHKZG: 'S' },
} as const;

export function plantLocation(WERKS: string, LGORT: string): string {
  const plant = SAP_PLANT_LOCATIONS.find((p) => p.WERKS === WERKS && p.LGORT === LGORT);
  if (!plant) throw new Error(`the simulator knows no location for SAP plant ${WERKS}/${LGORT}`);
  return plant.location;
}

export function warehouseLocation(warehouseId: string): string {
  const location = WAREHOUSE_LOCATIONS[warehouseId];
  if (!location) throw new Error(`the simulator knows no location for warehouse ${warehouseId}`);
  return location;
}

export function conversionOf(unit: string): { baseUnit: string; factor: string } {
  const conversion = UNIT_CONVERSIONS[unit];
  if (!conversion) throw new Error(`the simulator has no conversion for unit ${unit}`);
  return conversion;
}
