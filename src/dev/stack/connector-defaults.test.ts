import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../config/load.js';
import { connectorEnvironment } from '../../connectors/environment.js';
import { localStackPlaceholders, talksToLocalStack } from './connector-defaults.js';

describe('connector placeholders', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'stockline-env-'));
  writeFileSync(path.join(home, 'secrets.env'), 'STORE_PG_DEBEZIUM_PASSWORD=from-the-stack\n');
  const config = (url: string) =>
    loadConfig({
      env: { STOCKLINE__STACK__HOME: home, STOCKLINE__CONNECT__URL: url },
    });

  it("fall back to the local stack's hosts and generated secrets only when Connect is the stack's", () => {
    const local = config('http://127.0.0.1:18083');
    expect(talksToLocalStack(local)).to.equal(true);
    expect(connectorEnvironment(localStackPlaceholders(local), {})).to.include({
      STORE_PG_DEBEZIUM_PASSWORD: 'from-the-stack',
      STORE_PG_HOST: '127.0.0.1',
    });
  });

  it("never read the stack's secrets for another Connect worker: only the environment", () => {
    const remote = config('https://connect.prod.example:8083');
    expect(talksToLocalStack(remote)).to.equal(false);
    const resolved = connectorEnvironment(localStackPlaceholders(remote), { STORE_PG_HOST: 'db1' });
    expect(resolved).to.deep.equal({ STORE_PG_HOST: 'db1' });
  });
});
