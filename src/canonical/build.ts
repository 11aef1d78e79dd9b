// The one place that turns mapped fields and a change's identity into a canonical event. It
// knows nothing of source formats: every format (Debezium, JSON, fixed-width, the ones to come)
// hands over a ChangePosition, every mapping hands over the fields it evaluated.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { InventoryEventDataSchema } from './data-schema.js';
import type { CanonicalEvent, EventType, InventoryEventData, Reason, StockType } from './event.js';
import { eventId, stockKey } from './identity.js';

/**
 * Where a change was read and what it is. `change` identifies the business change (the event id
 * is derived from it); `sequence` sorts in source order within the system. Each source format
 * says how it finds these (sources/format.ts).
 */
export interface ChangePosition {
  system: string;
  entity: string;
  /** Identifies the change: the same change read twice (stream, snapshot, replay) gives the same text. */
  change: string;
  /** Sorts in source order within the system (per key, later changes sort higher). */
  sequence: string;
  /** The change was read by a snapshot (initial, re-snapshot or incremental), not from the log. */
  snapshot: boolean;
}

/** The fields a mapping evaluated for one event, already checked to be text and scaled. */
export interface EventFields {
  sku: string;
  location: string;
  quantity: string;
  unit: string;
  reason: string;
  occurredAt: string;
  /** Optional fields: present only when the mapping gave them a value. */
  stockType?: string;
  specialStock?: string;
  postingDate?: string;
}

export interface EventToBuild {
  type: EventType;
  fields: EventFields;
  position: ChangePosition;
  /** The mapping's name: part of the event id, and kept in the data for tracing. */
  mapping: string;
  /** Which of the mapping's emits made it: part of the event id. */
  emitIndex: number;
}

/** The event, or why its data does not fit the published schema (each reason names the field and the value). */
export type BuiltEvent = { event: CanonicalEvent } | { invalid: { reasons: string[]; field?: string } };

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateData = ajv.compile<InventoryEventData>(InventoryEventDataSchema);

/** The value at a JSON pointer of the data, to show what was refused. */
const valueAt = (data: InventoryEventData, pointer: string): unknown =>
  pointer
    .split('/')
    .filter(Boolean)
    .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], data);

/**
 * Builds one canonical event: the data validated against schemas/inventory-event-data.v1.json,
 * the id derived from the change's identity (canonical/identity.ts), keyed by sku@location.
 */
export function buildCanonicalEvent({
  type,
  fields,
  position,
  mapping,
  emitIndex,
}: EventToBuild): BuiltEvent {
  const { stockType, ...required } = fields;
  const data: InventoryEventData = {
    ...required,
    reason: fields.reason as Reason,
    // Checked against the schema's list right below, like the reason.
    ...(stockType === undefined ? {} : { stockType: stockType as StockType }),
    source: {
      system: position.system,
      entity: position.entity,
      position: position.change,
      sequence: position.sequence,
      ...(position.snapshot ? { snapshot: true } : {}),
    },
    mapping,
  };
  if (!validateData(data)) {
    const reasons = (validateData.errors ?? []).map(
      (e) =>
        `${e.instancePath.slice(1).replace(/\//g, '.') || 'data'} ${e.message ?? 'is invalid'} (got ${JSON.stringify(valueAt(data, e.instancePath))})`,
    );
    return { invalid: { reasons, field: reasons[0]?.split(' ')[0] } };
  }
  return {
    event: {
      id: eventId(position.system, position.entity, position.change, mapping, emitIndex),
      source: `/stockline/${position.system}/${position.entity}`,
      type,
      time: data.occurredAt,
      subject: stockKey(data.sku, data.location),
      data,
    },
  };
}
