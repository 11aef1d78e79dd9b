import type { Role } from '../service/role.js';
import { compileMapperOptions, type MapperOptions } from './options.js';
// Types only: the service module (and Kafka with it) loads when the role starts.
import type { MapperCounts } from './service.js';

export const mapperRole: Role<MapperOptions, MapperCounts> = {
  name: 'mapper',
  description: 'raw topics -> mappings -> canonical and dead-letter topics, exactly once',
  reads: ['mapper', 'kafka', 'materializer.stockTopic'],
  compile: compileMapperOptions,
  load: async () => (await import('./service.js')).startMapper,
  metrics: {
    consumed: 'raw records read',
    produced: 'canonical events written',
    skipped: 'records no mapping handles (other operations, filtered out, tombstones, heartbeats)',
    deadLettered: 'records written to the dead-letter topic with their reason',
  },
};
