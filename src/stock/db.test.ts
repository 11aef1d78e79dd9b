import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { stackSecretEnv, withStackSecrets } from '../dev/stack/dev-secrets.js';
import { createStockDb } from './db.js';
import { isRetriableDbError, stockDbError } from './errors.js';

/** The shipped config with a stack home of its own, whose secrets file holds a generated password. */
function configWithStackSecrets(env: NodeJS.ProcessEnv = {}) {
  const home = mkdtempSync(path.join(tmpdir(), 'stockline-stack-'));
  writeFileSync(path.join(home, 'secrets.env'), 'STORE_PG_APP_PASSWORD=generated-by-stack\n');
  return loadConfig({ dir: path.resolve('config'), env: { STOCKLINE__STACK__HOME: home, ...env } });
}

describe('stock database connection', () => {
  it("never falls back to the local stack's generated password: without one it refuses, naming the key", () => {
    const config = configWithStackSecrets();
    expect(() => createStockDb(config))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/stockDb\.password is not set: set STOCKLINE__STOCKDB__PASSWORD/);
  });

  it('uses the password of its configuration', async () => {
    const db = createStockDb(configWithStackSecrets({ STOCKLINE__STOCKDB__PASSWORD: 'from-env' }));
    try {
      const { connection } = (db.client as { config: { connection: { password: string } } }).config;
      expect(connection.password).to.equal('from-env');
    } finally {
      await db.destroy();
    }
  });

  it("the development path hands the stack's password over through the configuration", () => {
    const config = configWithStackSecrets();
    expect(withStackSecrets(config).stockDb.password).to.equal('generated-by-stack');
    // The tests' SAP capture reads the stand-in as the application user: the same password.
    expect(withStackSecrets(config).sap.password).to.equal('generated-by-stack');
    expect(stackSecretEnv(config)).to.deep.equal({
      STOCKLINE__STOCKDB__PASSWORD: 'generated-by-stack',
      STOCKLINE__SAP__PASSWORD: 'generated-by-stack',
    });
    const own = configWithStackSecrets({
      STOCKLINE__STOCKDB__PASSWORD: 'mine',
      STOCKLINE__SAP__PASSWORD: 'ours',
    });
    expect(withStackSecrets(own).stockDb.password).to.equal('mine');
    expect(withStackSecrets(own).sap.password).to.equal('ours');
    expect(stackSecretEnv(own)).to.deep.equal({});
  });

  it('sets a statement timeout, a query timeout and TCP keepalive from the config', async () => {
    const db = createStockDb(
      configWithStackSecrets({
        STOCKLINE__STOCKDB__PASSWORD: 'x',
        STOCKLINE__STOCKDB__STATEMENTTIMEOUTMS: '5000',
      }),
    );
    try {
      const { connection } = (db.client as { config: { connection: Record<string, unknown> } }).config;
      expect(connection).to.include({
        statement_timeout: 5000,
        query_timeout: 75000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10000,
      });
    } finally {
      await db.destroy();
    }
  });

  it('classifies a statement cancelled by statement_timeout (57014) and a query_timeout as retriable', () => {
    const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), {
      code: '57014',
    });
    expect(isRetriableDbError(cancelled)).to.equal(true);
    expect(stockDbError('applying a batch', cancelled).retriable).to.equal(true);
    expect(isRetriableDbError(new Error('Query read timeout'))).to.equal(true);
    expect(isRetriableDbError(Object.assign(new Error('duplicate key'), { code: '23505' }))).to.equal(false);
  });
});
