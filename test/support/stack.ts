import { loadConfig } from '../../src/config/load.js';
import type { StocklineConfig } from '../../src/config/schema.js';
import { ConnectClient } from '../../src/connectors/connect-client.js';
import { loadConnectorFiles } from '../../src/connectors/connector-file.js';
import { connectorEnvironment } from '../../src/connectors/environment.js';
import { localStackPlaceholders } from '../../src/dev/stack/connector-defaults.js';
import { applyConnectors, waitRunning } from '../../src/connectors/operations.js';
import { createLogger } from '../../src/observability/logger.js';
import { stackSecretEnv, withStackSecrets } from '../../src/dev/stack/dev-secrets.js';
import { readSecrets, type StackSecrets } from '../../src/dev/stack/secrets.js';
import { LocalStack } from '../../src/dev/stack/stack.js';
import { createStockDb } from '../../src/stock/db.js';

export interface TestStack {
  config: Readonly<StocklineConfig>;
  secrets: Partial<StackSecrets>;
  stack: LocalStack;
}

let ready: Promise<TestStack> | undefined;

/**
 * Integration tests call this in their `before` hook: it brings the local stack up when it is
 * not running (fetching the jars on a fresh machine) and applies the shipped connectors, once
 * per test run. `npm test` therefore works on a fresh clone after `npm ci`.
 */
export function ensureStack(): Promise<TestStack> {
  ready ??= (async () => {
    const config = loadConfig();
    const log = createLogger({ level: config.log.level });
    const stack = new LocalStack(config, log);
    const statuses = await stack.status();
    if (statuses.some((s) => !s.health.healthy)) await stack.up();
    const client = new ConnectClient(config.connect.url, config.connect.requestTimeoutMs);
    const connectors = loadConnectorFiles(
      config.connect.connectorsDir,
      connectorEnvironment(localStackPlaceholders(config)),
    );
    await applyConnectors(client, connectors);
    await waitRunning(
      client,
      connectors.map((c) => c.name),
      120000,
    );
    // The dev path: the stack's stock database password reaches the product code the tests
    // call through its configuration, and the processes they start through the environment.
    Object.assign(process.env, stackSecretEnv(config));
    const withSecrets = withStackSecrets(config);
    await forgetLedgerHorizon(withSecrets);
    return { config: withSecrets, secrets: readSecrets(stack.layout.secretsFile), stack };
  })();
  return ready;
}

/**
 * The tests replay canonical events of 2024 (config/test.yaml keeps every ledger month), but a
 * demo or a service run on the same stack (development config) may have moved the shared stock
 * database's ledger horizon past them: then those events would not be applied. The tests start
 * from no horizon; the horizon's own test sets one far in the past.
 */
async function forgetLedgerHorizon(config: Readonly<StocklineConfig>): Promise<void> {
  const db = createStockDb(config, { applicationName: 'stockline-test' });
  try {
    const { rows } = await db.raw<{ rows: { t: string | null }[] }>(
      "SELECT to_regclass('stock_ledger_horizon')::text AS t",
    );
    if (rows[0]?.t) await db.raw('UPDATE stock_ledger_horizon SET horizon = NULL WHERE id = 1');
  } finally {
    await db.destroy();
  }
}

/** Generous: a fresh machine fetches ~110 MB of jars and starts five processes. */
export const STACK_TIMEOUT_MS = 10 * 60 * 1000;
