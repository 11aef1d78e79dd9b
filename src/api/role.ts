import type { Role } from '../service/role.js';
import { compileApiOptions, type ApiOptions } from './options.js';
// Types only: Fastify and the stock database load when the role starts.
import type { ApiStats } from './service.js';

export const apiRole: Role<ApiOptions, ApiStats> = {
  name: 'api',
  description: 'the stock API (reads of the stock tables, /ready, /metrics)',
  reads: ['api', 'stockDb'],
  compile: compileApiOptions,
  load: async () => (await import('./service.js')).startApi,
  metrics: {},
};
