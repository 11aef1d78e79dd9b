import { fromKafkaMessage } from '../canonical/cloudevents-kafka.js';
import { LEVEL } from '../canonical/event.js';
import { describeError } from '../errors.js';
import type { RejectedMessage } from '../stock/model.js';
import { Quantity } from '../stock/quantity.js';
import { isStorableText, isUtf8, type RejectedBytes } from '../stock/rejected-bytes.js';
import type { MaterializerEvent, RawMessage } from './event.js';
import { normalizeInstant } from './instant.js';

export type Decoded = { event: MaterializerEvent } | { rejected: RejectedMessage };

// The same rules as schemas/inventory-event-data.v1.json: the mapper validates, the materializer
// checks again what it relies on, because any producer can write to the topic.
const SKU = /^[A-Za-z0-9._:/-]{1,40}$/;
const LOCATION = /^[A-Za-z0-9._:/-]{1,20}$/;
const QUANTITY = /^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?$/;
const UNIT = /^[A-Z0-9]{1,3}$/;
const MAX_ID_LENGTH = 64;

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Reads one canonical message; what cannot be applied comes back as a rejection with its reason. */
export function decodeCanonical(message: RawMessage): Decoded {
  const reject = (reason: string, eventId: string | null = null): Decoded => ({
    rejected: rejection(message, reason, eventId),
  });
  let parsed;
  try {
    parsed = fromKafkaMessage(message);
  } catch (e) {
    return reject(describeError(e));
  }
  const { id, type, data } = parsed;
  if (!nonEmpty(id) || id.length > MAX_ID_LENGTH)
    return reject(`ce_id must be 1 to ${MAX_ID_LENGTH} characters`);
  if (typeof data !== 'object' || data === null) return reject('data is not a JSON object', id);
  if (!nonEmpty(data.sku) || !SKU.test(data.sku))
    return reject(`sku ${JSON.stringify(data.sku)} is not a SKU`, id);
  if (!nonEmpty(data.location) || !LOCATION.test(data.location))
    return reject(`location ${JSON.stringify(data.location)} is not a location id`, id);
  if (typeof data.quantity !== 'string' || !QUANTITY.test(data.quantity))
    return reject(
      `quantity ${JSON.stringify(data.quantity)} is not a decimal string with at most 15.6 digits`,
      id,
    );
  if (typeof data.unit !== 'string' || !UNIT.test(data.unit))
    return reject(`unit ${JSON.stringify(data.unit)} is not a unit`, id);
  const occurredAt = typeof data.occurredAt === 'string' ? normalizeInstant(data.occurredAt) : undefined;
  if (occurredAt === undefined)
    return reject(
      `occurredAt ${JSON.stringify(data.occurredAt)} is not an ISO 8601 date-time with offset`,
      id,
    );
  const source = data.source as Partial<typeof data.source> | undefined;
  if (!nonEmpty(source?.system) || !nonEmpty(source.sequence))
    return reject('source.system and source.sequence are required', id);
  return {
    event: {
      offset: message.offset,
      id,
      type: type === LEVEL ? 'level' : 'movement', // fromKafkaMessage admits only the two types
      sku: data.sku,
      location: data.location,
      quantity: new Quantity(data.quantity),
      unit: data.unit,
      occurredAt,
      system: source.system,
      sequence: source.sequence,
      snapshot: (source as { snapshot?: unknown }).snapshot === true,
      // Only for metrics: the stock effect follows from type and signed quantity alone.
      reason: typeof data.reason === 'string' ? data.reason : 'unknown',
      raw: message,
    },
  };
}

/** A batch's messages in order: the events to apply, and what cannot be applied with its reason. */
export function decodeBatch(messages: readonly RawMessage[]): {
  events: MaterializerEvent[];
  rejected: RejectedMessage[];
} {
  const events: MaterializerEvent[] = [];
  const rejected: RejectedMessage[] = [];
  for (const m of messages) {
    const decoded = decodeCanonical(m);
    if ('event' in decoded) events.push(decoded.event);
    else rejected.push(decoded.rejected);
  }
  return { events, rejected };
}

/**
 * A message that cannot be applied, with its original key, value and headers: as UTF-8 text,
 * and, where they are not text (a 0x00 byte, not UTF-8: anything can be written to the topic),
 * their exact bytes besides (src/stock/rejected-bytes.ts), so the statement keeps them whole.
 */
export function rejection(message: RawMessage, reason: string, eventId: string | null): RejectedMessage {
  const headers = Object.entries(message.headers).flatMap(([k, v]) =>
    v === undefined ? [] : [[k, v] as const],
  );
  const headersBase64 = headers.some(([, v]) => !isUtf8(v));
  const result: RejectedMessage & RejectedBytes = {
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    eventId,
    reason,
    value: message.value?.toString('utf8') ?? null,
    headers: Object.fromEntries(headers.map(([k, v]) => [k, v.toString(headersBase64 ? 'base64' : 'utf8')])),
  };
  if (message.key && !isStorableText(message.key)) result.keyBytes = message.key;
  if (message.value && !isStorableText(message.value)) result.valueBytes = message.value;
  if (headersBase64) result.headersBase64 = true;
  return result;
}
