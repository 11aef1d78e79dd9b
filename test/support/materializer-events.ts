// Builders of materializer events for the unit tests of the semantics and the batch plan.
import { Quantity } from '../../src/stock/quantity.js';
import type { MaterializerEvent } from '../../src/materializer/event.js';

let offset = 0;

export function movement(
  quantity: string,
  at: string,
  extra: Partial<Omit<MaterializerEvent, 'quantity'>> = {},
): MaterializerEvent {
  return event('movement', quantity, at, extra);
}

export function level(
  quantity: string,
  at: string,
  extra: Partial<Omit<MaterializerEvent, 'quantity'>> = {},
): MaterializerEvent {
  return event('level', quantity, at, extra);
}

function event(
  type: MaterializerEvent['type'],
  quantity: string,
  at: string,
  extra: Partial<Omit<MaterializerEvent, 'quantity'>>,
): MaterializerEvent {
  const n = ++offset;
  const sequence = extra.sequence ?? String(n).padStart(12, '0');
  return {
    offset: String(n),
    id: extra.id ?? `id-${sequence}-${extra.system ?? 'pos'}`,
    type,
    sku: 'SKU1',
    location: 'S001',
    quantity: new Quantity(quantity),
    unit: 'EA',
    occurredAt: `2024-05-01T${at}:00.000000Z`,
    system: 'pos',
    sequence,
    reason: type === 'level' ? 'count' : 'sale',
    snapshot: false,
    raw: { offset: String(n), key: null, value: null, headers: {} },
    ...extra,
  };
}
