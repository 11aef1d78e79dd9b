import fastifySwagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from '../observability/logger.js';
import { tokensMatch } from './auth.js';
import { registry } from '../observability/metrics.js';
import {
  ErrorBody,
  Location,
  LocationId,
  LocationStockPage,
  LocationStockQuery,
  Paging,
  SingleStock,
  Sku,
  SkuStock,
  TotalsPage,
  type LocationStockQueryT,
  type PagingT,
} from './schemas.js';
import type { StockReader } from '../stock/reads.js';
import { singleStock, skuStock, stockAtLocation } from './stock-responses.js';

export interface ApiOptions {
  /** The stock reads the routes answer from. */
  stock: StockReader;
  /** Bearer token required on /v1 reads; empty: open. */
  token: string;
  /** Whether the service can answer: the stock database reachable and migrated. */
  ready: () => Promise<{ ready: boolean; reason?: string }>;
  logger?: Logger;
}

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

/** The stock API: Fastify, request validation from the schemas, OpenAPI generated from the same. */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    // Per-request lines (info) would drown the log at the rates this API serves; warnings stay.
    loggerInstance: options.logger?.child({ component: 'api' }, { level: 'warn' }) as
      FastifyBaseLogger | undefined,
    ajv: { customOptions: { coerceTypes: true, allErrors: true, removeAdditional: false } },
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'stockline stock API',
        version: '1.0.0',
        description:
          'Materialized stock per SKU and location, with totals across locations, per region and per location kind. Quantities are exact decimal strings.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) {
      return reply.status(400).send({
        statusCode: 400,
        error: 'Bad Request',
        message: `${error.validationContext ?? 'request'}${error.message.replace(/^(params|querystring|body|headers)/, '')}`,
      });
    }
    if (error.statusCode && error.statusCode < 500) {
      return reply
        .status(error.statusCode)
        .send({ statusCode: error.statusCode, error: error.name, message: error.message });
    }
    app.log.error({ err: error }, 'request failed');
    return reply.status(503).send({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the stock database did not answer; try again',
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `no route ${request.method} ${request.url}; the routes are in /openapi.json`,
    }),
  );

  const requireToken = (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void) => {
    if (!options.token) return done();
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given || !tokensMatch(given, options.token)) {
      const error = Object.assign(
        new Error('a valid bearer token is required (Authorization: Bearer <token>)'),
        {
          statusCode: 401,
          name: 'Unauthorized',
        },
      );
      return done(error);
    }
    done();
  };
  const notFound = (message: string) =>
    Object.assign(new Error(message), { statusCode: 404, name: 'Not Found' });

  app.get('/health', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    // The database's own error text can name hosts, users and SQL: it goes to the log only.
    const state = await options.ready().catch((e: unknown) => {
      app.log.warn({ err: e }, 'readiness check failed');
      return {
        ready: false,
        reason: 'the stock database cannot be reached or read (details in the service log)',
      };
    });
    return reply.status(state.ready ? 200 : 503).send(state);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  await app.register(
    (v1, _opts, done) => {
      v1.addHook('onRequest', requireToken);

      v1.get<{ Params: { sku: string } }>(
        '/stock/:sku',
        {
          schema: {
            summary: 'Stock of a SKU at every location, with totals',
            params: Type.Object({ sku: Sku }),
            response: { 200: SkuStock, ...errors },
          },
        },
        async (request) => {
          const found = await options.stock.item(request.params.sku);
          if (!found) throw notFound(`no stock for SKU ${request.params.sku}`);
          return skuStock(found);
        },
      );

      v1.get<{ Params: { sku: string; location: string } }>(
        '/stock/:sku/locations/:location',
        {
          schema: {
            summary: 'One SKU at one location, with its version and freshness',
            params: Type.Object({ sku: Sku, location: LocationId }),
            response: { 200: SingleStock, ...errors },
          },
        },
        async (request) => {
          const { sku, location } = request.params;
          const found = await options.stock.row({ sku, location });
          if (found) return singleStock(found);
          if (!(await options.stock.locationKnown(location))) throw notFound(`unknown location ${location}`);
          throw notFound(`no stock for SKU ${sku} at ${location}`);
        },
      );

      v1.get<{ Params: { location: string }; Querystring: LocationStockQueryT }>(
        '/locations/:location/stock',
        {
          schema: {
            summary: 'Stock at one location, paged by SKU',
            params: Type.Object({ location: LocationId }),
            querystring: LocationStockQuery,
            response: { 200: LocationStockPage, ...errors },
          },
        },
        async (request) => {
          const { location } = request.params;
          if (!(await options.stock.locationKnown(location))) throw notFound(`unknown location ${location}`);
          const page = await options.stock.atLocation(location, request.query);
          return { location, items: page.items.map(stockAtLocation), next: page.next };
        },
      );

      for (const by of ['region', 'kind'] as const) {
        v1.get<{ Params: { group: string }; Querystring: PagingT }>(
          `/totals/${by === 'region' ? 'regions' : 'kinds'}/:group`,
          {
            schema: {
              summary: `Totals per SKU in one ${by === 'region' ? 'region' : 'location kind'}, paged by SKU`,
              params: Type.Object({ group: Type.String({ pattern: '^[A-Za-z0-9._-]{1,40}$' }) }),
              querystring: Paging,
              response: { 200: TotalsPage, ...errors },
            },
          },
          async (request) => {
            const { group } = request.params;
            if (!(await options.stock.groupKnown(by, group))) throw notFound(`unknown ${by} ${group}`);
            return { group, ...(await options.stock.totalsIn(by, group, request.query)) };
          },
        );
      }

      v1.get(
        '/locations',
        {
          schema: {
            summary: 'The locations stockline knows',
            response: { 200: Type.Array(Location), 401: ErrorBody },
          },
        },
        () => options.stock.locations(),
      );
      done();
    },
    { prefix: '/v1' },
  );
  return app;
}
