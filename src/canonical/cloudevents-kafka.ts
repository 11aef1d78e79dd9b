import { CanonicalMessageError } from './errors.js';
import { LEVEL, MOVEMENT, type CanonicalEvent, type InventoryEventData } from './event.js';
import { stockKey } from './identity.js';

/** A Kafka message as the CloudEvents Kafka protocol binding writes it in binary mode. */
export interface CanonicalMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export const DATA_SCHEMA = 'https://stockline.dev/schemas/inventory-event-data.v1.json';

/**
 * Binary content mode: attributes in `ce_` headers, the data as the message value, the
 * key = sku@location (the partitionkey extension). Any CloudEvents Kafka consumer reads it.
 */
export function toKafkaMessage(event: CanonicalEvent): CanonicalMessage {
  return {
    key: event.subject,
    value: JSON.stringify(event.data),
    headers: {
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_source: event.source,
      ce_type: event.type,
      ce_time: event.time,
      ce_subject: event.subject,
      ce_dataschema: DATA_SCHEMA,
      'content-type': 'application/json',
    },
  };
}

function header(headers: Record<string, Buffer | string | undefined>, name: string): string {
  const v = headers[name];
  if (v === undefined)
    throw new CanonicalMessageError(`canonical message lacks header ${name}`, { field: name });
  return typeof v === 'string' ? v : v.toString('utf8');
}

/** Reads a canonical message back (materializer, tests, downstream examples). */
export function fromKafkaMessage(message: {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, Buffer | string | undefined>;
}): CanonicalEvent {
  const type = header(message.headers, 'ce_type');
  if (type !== MOVEMENT && type !== LEVEL) {
    throw new CanonicalMessageError(`unknown canonical event type ${type}`, { field: 'ce_type' });
  }
  if (message.value === null) throw new CanonicalMessageError('canonical message without a value');
  const data = JSON.parse(
    typeof message.value === 'string' ? message.value : message.value.toString('utf8'),
  ) as InventoryEventData;
  return {
    id: header(message.headers, 'ce_id'),
    source: header(message.headers, 'ce_source'),
    type,
    time: header(message.headers, 'ce_time'),
    subject: header(message.headers, 'ce_subject') || stockKey(data.sku, data.location),
    data,
  };
}
