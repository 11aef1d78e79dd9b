import { expect } from 'chai';
import { readMappings } from '../../mapper/mapping-files.js';
import {
  MOVE_CODE_SIGNS,
  SAP_MOVEMENT_TYPES,
  SAP_PLANT_LOCATIONS,
  UNIT_CONVERSIONS,
  WAREHOUSE_LOCATIONS,
} from './source-lookups.js';

describe('simulator: its copies of lookup rows agree with mappings/lookups/', () => {
  const { lookups } = readMappings('mappings');
  const rows = (table: string) => lookups.table(table)?.rows ?? [];

  it('unit conversions (sku "*"), and no simulated unit needs a per-SKU row', () => {
    for (const [unit, { baseUnit, factor }] of Object.entries(UNIT_CONVERSIONS)) {
      const row = rows('unit-conversions').find((r) => r.sku === '*' && r.unit === unit);
      expect(row, `unit ${unit}`).to.deep.include({ base_unit: baseUnit, factor });
    }
  });

  it('SAP plants and storage locations', () => {
    const csv = rows('sap-plant-locations').map((r) => ({
      WERKS: r.WERKS,
      LGORT: r.LGORT,
      location: r.location,
    }));
    expect(csv).to.deep.include.members([...SAP_PLANT_LOCATIONS]);
  });

  it('SAP movement types with their debit/credit indicator exist as reasons', () => {
    for (const { BWART, SHKZG } of Object.values(SAP_MOVEMENT_TYPES))
      expect(
        rows('sap-movement-reasons').some((r) => r.BWART === BWART && r.SHKZG === SHKZG),
        `${BWART} ${SHKZG}`,
      ).to.equal(true);
  });

  it('mainframe warehouses and move codes', () => {
    for (const [id, location] of Object.entries(WAREHOUSE_LOCATIONS))
      expect(rows('warehouse-locations')).to.deep.include({ warehouse_id: id, location });
    for (const [code, sign] of Object.entries(MOVE_CODE_SIGNS))
      expect(rows('whmove-move-codes').find((r) => r.move_code === code)?.sign, code).to.equal(String(sign));
  });
});
