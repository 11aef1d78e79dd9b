// The stock API's options, compiled once from its config sections (src/service/options.ts says how).
import type { StocklineConfig } from '../config/schema.js';
import { deepFreeze, frozenCopy } from '../service/options.js';
import { checkApiExposure } from './auth.js';

/** What the API reads from the configuration: its own section and the stock database's. */
export type ApiSections = Pick<StocklineConfig, 'api' | 'stockDb'>;

export interface ApiOptions {
  readonly host: string;
  /** 0: any free port (tests); the handle's url says which. */
  readonly port: number;
  /** Bearer token required for reads; empty: none (allowed on loopback or with api.allowAnonymous). */
  readonly token: string;
  readonly stockDb: Readonly<StocklineConfig['stockDb']>;
}

export function compileApiOptions(config: Readonly<ApiSections>): ApiOptions {
  // An open API on an address other machines can reach is refused unless asked for (api.allowAnonymous).
  checkApiExposure(config.api);
  return deepFreeze({
    host: config.api.host,
    port: config.api.port,
    token: config.api.token,
    stockDb: frozenCopy(config.stockDb),
  });
}
