import { InventoryEventDataSchema } from '../canonical/data-schema.js';
import { REASONS, STOCK_TYPES } from '../canonical/event.js';
import { parseTemplate } from './expression.js';
import type { MappingFile } from './format.js';

/** A constant of a mapping that no event could carry: where it is ("/emit/0/reason") and why. */
export interface ConstantProblem {
  path: string;
  message: string;
}

type EmitSpec = MappingFile['emit'][number];

/** The text of a value written as a plain constant, or undefined for a ${...} expression or a lookup. */
export function constantText(value: EmitSpec[keyof EmitSpec]): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return undefined;
  const parts = parseTemplate(value);
  if (parts.length === 0) return '';
  return parts.length === 1 && parts[0]!.literal !== undefined ? parts[0]!.literal : undefined;
}

const pattern = (p: { pattern?: string }) => new RegExp(p.pattern ?? '');
const props = InventoryEventDataSchema.properties;
const SKU = pattern(props.sku);
const LOCATION = pattern(props.location);
const UNIT = pattern(props.unit);
const QUANTITY = pattern(props.quantity);
const SPECIAL_STOCK = pattern(props.specialStock);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** ISO 8601 date and time with seconds optional, fraction optional and a mandatory offset. */
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

function isIsoWithOffset(text: string): boolean {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((v) => Number(v ?? 0));
  const daysInMonth = new Date(Date.UTC(year!, month, 0)).getUTCDate();
  return (
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59 &&
    offH! <= 23 &&
    offM! <= 59
  );
}

/**
 * Checks the values of a mapping that are written as plain constants (not ${...}), so that
 * `mappings validate` refuses at once what would otherwise make every event of the mapping a
 * dead letter: a reason that is not a canonical reason, a time without offset, a unit or a
 * location the canonical event schema refuses.
 */
export function checkConstants(mapping: MappingFile): ConstantProblem[] {
  const problems: ConstantProblem[] = [];
  mapping.emit.forEach((emit, i) => {
    const check = (field: keyof EmitSpec, ok: (text: string) => boolean, expected: string) => {
      const text = constantText(emit[field]);
      if (text === undefined || ok(text)) return;
      problems.push({ path: `/emit/${i}/${field}`, message: `${expected}; got ${JSON.stringify(text)}` });
    };
    check(
      'reason',
      (t) => (REASONS as readonly string[]).includes(t),
      `must be one of the canonical reasons ${REASONS.join(', ')}`,
    );
    check(
      'occurredAt',
      isIsoWithOffset,
      'must be an ISO 8601 date and time with an offset, e.g. 2026-11-20T08:15:02+01:00 or ...Z',
    );
    check('sku', (t) => SKU.test(t), `must match ${props.sku.pattern}`);
    check('location', (t) => LOCATION.test(t), `must match ${props.location.pattern}`);
    check(
      'quantity',
      (t) => QUANTITY.test(t),
      'must be a decimal number with at most 15 digits before and 6 after the point',
    );
    // The optional fields: an empty constant leaves them out of the event.
    check(
      'stockType',
      (t) => t === '' || (STOCK_TYPES as readonly string[]).includes(t),
      `must be one of the canonical stock types ${STOCK_TYPES.join(', ')}`,
    );
    check(
      'specialStock',
      (t) => t === '' || SPECIAL_STOCK.test(t),
      `must match ${props.specialStock.pattern}`,
    );
    check(
      'postingDate',
      (t) => t === '' || (ISO_DATE.test(t) && isIsoWithOffset(`${t}T00:00Z`)),
      'must be an ISO 8601 date, e.g. 2026-11-20',
    );
    if (emit.sign !== undefined) check('sign', (t) => t === '1' || t === '-1', 'must be 1 or -1');
    // With toBaseUnit the unit written is the key of the conversion, not the unit emitted.
    if (!emit.toBaseUnit)
      check('unit', (t) => UNIT.test(t), `must be a unit of measure matching ${props.unit.pattern}`);
  });
  return problems;
}
