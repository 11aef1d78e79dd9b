import type { StocklineConfig } from './schema.js';
import { stackLayout } from '../stack/layout.js';
import { readSecrets } from '../stack/secrets.js';

/**
 * The stock database password: from config (that is, the environment or a secret file),
 * or, when none is set, the local stack's generated one, so development needs no setup.
 */
export function stockDbPassword(config: StocklineConfig): string {
  if (config.stockDb.password) return config.stockDb.password;
  return readSecrets(stackLayout(config).secretsFile).STORE_PG_APP_PASSWORD ?? '';
}
