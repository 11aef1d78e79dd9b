import { randomBytes } from 'node:crypto';
import type { StocklineConfig } from '../../src/config/schema.js';

/** A unique suffix: each test gets its own topics and consumer groups. */
export const uniqueSuffix = (): string => randomBytes(4).toString('hex');

/** The suite's config with the mapper writing to topics and reading as a group of this test's own. */
export function isolatedMapperConfig(
  config: Readonly<StocklineConfig>,
  suffix = uniqueSuffix(),
): StocklineConfig {
  const copy = structuredClone(config) as StocklineConfig;
  copy.mapper.canonicalTopic = `test.inventory.events.${suffix}`;
  copy.mapper.deadLetterTopic = `test.inventory.deadletter.${suffix}`;
  copy.mapper.groupId = `test-mapper-${suffix}`;
  return copy;
}
