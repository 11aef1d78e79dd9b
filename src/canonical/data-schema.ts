import { Type, type Static } from '@sinclair/typebox';
import { REASONS, STOCK_TYPES, type StockType } from './event.js';

/**
 * The data of a canonical event, declared once: the mapper validates every event against it,
 * and `npm run gen:schemas` writes schemas/inventory-event-data.v1.json for subscribers.
 */
export const InventoryEventDataSchema = Type.Object(
  {
    sku: Type.String({
      pattern: '^[A-Za-z0-9._:/-]{1,40}$',
      description: "the retailer's SKU, without SAP's zero padding",
    }),
    location: Type.String({
      pattern: '^[A-Za-z0-9._:/-]{1,20}$',
      description: 'stockline location id (store, warehouse or distribution center)',
    }),
    quantity: Type.String({
      pattern: '^-?(0|[1-9][0-9]{0,14})(\\.[0-9]{1,6})?$',
      description:
        'exact decimal as a string: signed for a movement, absolute for a level; never a binary floating-point number',
    }),
    unit: Type.String({ pattern: '^[A-Z0-9]{1,3}$', description: "unit of measure (the item's base unit)" }),
    reason: Type.Union(
      REASONS.map((r) => Type.Literal(r)),
      { description: 'why the quantity changed' },
    ),
    occurredAt: Type.String({
      format: 'date-time',
      description: 'ISO 8601 with offset: when the change happened at the source (for a level: as of when)',
    }),
    stockType: Type.Optional(
      // An enum rather than a union of literals: a refused value is then reported in one line.
      Type.Unsafe<StockType>({
        type: 'string',
        enum: [...STOCK_TYPES],
        description:
          "which stock of the location changed, for sources that keep several (SAP's stock types); absent: the location's one stock, what a store can sell. The stock table counts unrestricted-use stock",
      }),
    ),
    specialStock: Type.Optional(
      Type.String({
        pattern: '^[A-Z0-9]{1,4}$',
        description:
          "the source's special stock indicator (SAP SOBKZ: K vendor consignment, E sales order stock, W customer consignment ...); absent: the company's own stock",
      }),
    ),
    postingDate: Type.Optional(
      Type.String({
        format: 'date',
        description:
          'ISO 8601 date the source books the change on (SAP posting date BUDAT, which may be back-dated into an open period; stock "as of a date" in SAP reports is by posting date, occurredAt is the entry time); absent when the source has none',
      }),
    ),
    source: Type.Object(
      {
        system: Type.String({
          minLength: 1,
          description: 'source system, e.g. store-pg, store-maria, sap, mainframe-wh',
        }),
        entity: Type.String({ minLength: 1, description: 'table or queue that changed' }),
        position: Type.String({
          minLength: 1,
          description:
            'what identifies the change at the source: the row key of an inserted row, the key and log position of an update or delete, a message id; the same change read again (snapshot, replay) has the same position and event id',
        }),
        sequence: Type.String({ minLength: 1, description: 'sorts in source order within one system' }),
        snapshot: Type.Optional(
          Type.Boolean({
            description:
              'true when the change was read by a snapshot (initial, re-snapshot, incremental) rather than from the log',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    mapping: Type.String({ minLength: 1, description: 'the mapping that produced the event' }),
  },
  {
    additionalProperties: false,
    $id: 'https://stockline.dev/schemas/inventory-event-data.v1.json',
    title: 'stockline inventory event data (v1)',
    description:
      'The data of a canonical inventory event (CloudEvents types inventory.movement and inventory.level) on topic inventory.events.v1. A movement is a signed change of quantity at a location; a level is the absolute quantity at a location as of occurredAt.',
  },
);

export type InventoryEventDataStatic = Static<typeof InventoryEventDataSchema>;
