import { Type, type Static } from '@sinclair/typebox';

/** Route schemas: they validate requests, shape responses and generate docs/openapi.json. */
export const Sku = Type.String({
  pattern: '^[A-Za-z0-9._:/-]{1,40}$',
  description: 'SKU (letters, digits, . _ : / -)',
});
export const LocationId = Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,20}$', description: 'location id' });
const Quantity = Type.String({ description: 'exact decimal', examples: ['12.5'] });
const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const Totals = Type.Object({
  onHand: Quantity,
  locations: Type.Integer({ description: 'locations holding a stock row for the SKU' }),
  negativeLocations: Type.Integer({ description: 'of those, with negative stock' }),
});

export const StockAtLocation = Type.Object({
  sku: Type.String(),
  location: Type.String(),
  kind: Type.String(),
  region: Type.String(),
  onHand: Quantity,
  unit: Type.String(),
  version: Type.String({ description: 'events applied to this row' }),
  negative: Type.Boolean({ description: 'negative stock is kept (it is real information) and flagged' }),
  levelAsOf: Time,
  lastEventAt: Type.String({ format: 'date-time' }),
  lastEventId: Type.String(),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const SkuStock = Type.Object({
  sku: Type.String(),
  total: Totals,
  byRegion: Type.Array(Type.Intersect([Type.Object({ region: Type.String() }), Totals])),
  byKind: Type.Array(Type.Intersect([Type.Object({ kind: Type.String() }), Totals])),
  locations: Type.Array(StockAtLocation),
});

export const SingleStock = Type.Intersect([
  StockAtLocation,
  Type.Object({
    freshnessSeconds: Type.Number({ description: 'seconds since the last event of this row occurred' }),
  }),
]);

export const Paging = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'page size' }),
  after: Type.Optional(Type.String({ maxLength: 40, description: 'the `next` of the previous page' })),
});

export const LocationStockQuery = Type.Intersect([
  Paging,
  Type.Object({
    skuPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,40}$' })),
    negative: Type.Optional(Type.Boolean({ description: 'only rows with negative stock' })),
  }),
]);

export const LocationStockPage = Type.Object({
  location: Type.String(),
  items: Type.Array(StockAtLocation),
  next: Type.Union([Type.String(), Type.Null()]),
});

export const TotalsPage = Type.Object({
  group: Type.String(),
  items: Type.Array(Type.Intersect([Type.Object({ sku: Type.String() }), Totals])),
  next: Type.Union([Type.String(), Type.Null()]),
});

export const Location = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  region: Type.String(),
  dataCenter: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
});

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
});

export type StockAtLocationT = Static<typeof StockAtLocation>;
export type SkuStockT = Static<typeof SkuStock>;
export type LocationStockQueryT = Static<typeof LocationStockQuery>;
export type PagingT = Static<typeof Paging>;
