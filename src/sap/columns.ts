// Which columns the capture selects: an explicit list, checked against the catalog at start.
import { SapSchemaError } from './errors.js';

/** The columns of MATDOC without which the capture cannot order, identify or map a movement. */
export const MATDOC_REQUIRED = [
  'MANDT',
  'MBLNR',
  'MJAHR',
  'ZEILE',
  'CPUDT_MKPF',
  'CPUTM_MKPF',
  'MATNR',
  'WERKS',
  'LGORT',
  'BWART',
  'SHKZG',
  'ERFMG',
  'ERFME',
] as const;

/**
 * Further MATDOC columns the capture carries when the table has them (S/4HANA names; the
 * stand-in has a subset): stock type, special stock, reversal reference, posting date, base
 * quantity and unit, signed stock quantity, batch, user.
 */
export const MATDOC_OPTIONAL = [
  'RECORD_TYPE',
  'MATBF',
  'LGORT_SID',
  'CHARG',
  'CHARG_SID',
  'LBBSA_SID',
  'INSMK',
  'SOBKZ',
  'LIFNR_SID',
  'KUNNR_SID',
  'MAT_KDAUF',
  'MAT_KDPOS',
  'MAT_PSPNR',
  'SMBLN',
  'SMBJP',
  'SMBLP',
  'MENGE',
  'MEINS',
  'STOCK_QTY',
  'BUDAT',
  'BUDAT_MKPF',
  'USNAM_MKPF',
  'XBLNR_MKPF',
] as const;

/** MARD (a table in the stand-in before S/4's shape, a view over MATDOC after). */
export const MARD_REQUIRED = ['MANDT', 'MATNR', 'WERKS', 'LGORT', 'LABST'] as const;
export const MARD_OPTIONAL = ['UMLME', 'INSME', 'EINME', 'SPEME', 'RETME', 'LFGJA', 'LFMON'] as const;

/**
 * The columns to select from a table that has `present`: every required one (refused with a
 * SapSchemaError naming the table and the missing columns when one is absent) and the optional
 * ones it has, in the order listed.
 */
export function selectColumns(
  table: string,
  present: readonly string[],
  required: readonly string[],
  optional: readonly string[],
): string[] {
  const has = new Set(present.map((c) => c.toUpperCase()));
  if (has.size === 0)
    throw new SapSchemaError(
      `the SAP table ${table} does not exist in the capture's schema (or its user may not see it in the catalog)`,
      { table, columns: [...required] },
    );
  const missing = required.filter((c) => !has.has(c));
  if (missing.length > 0)
    throw new SapSchemaError(
      `the SAP table ${table} lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that the capture needs`,
      { table, columns: missing },
    );
  return [...required, ...optional.filter((c) => has.has(c))];
}
