// Helpers for the unit tests of each role's compile<Role>Options (src/<role>/options.test.ts).
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';

/** The shipped development configuration (config/default.yaml and development.yaml), as a copy a test may change. */
export const shippedConfig = (): StocklineConfig =>
  structuredClone(loadConfig({ dir: path.resolve('config'), environment: 'development', env: {} }));

/** The ConfigError with which `compile` refuses `config`; fails the test if it accepts it. */
export function refusalOf(
  compile: (config: StocklineConfig) => unknown,
  config: StocklineConfig,
): ConfigError {
  try {
    compile(config);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`expected ${compile.name} to refuse this configuration`);
}
