import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../config/load.js';
import type { StocklineConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { compileApiOptions } from './options.js';

const shipped = () =>
  structuredClone(
    loadConfig({ dir: path.resolve('config'), environment: 'development', env: {} }),
  ) as StocklineConfig;

describe('compileApiOptions', () => {
  it('takes the shipped defaults: loopback, port 8080, no token, the stock database section', () => {
    const options = compileApiOptions(shipped());
    expect(options).to.deep.include({ host: '127.0.0.1', port: 8080, token: '' });
    expect(options.stockDb.database).to.equal('stockline');
    expect(Object.isFrozen(options.stockDb)).to.be.true;
  });

  it('refuses an open API on an address other machines reach, naming api.host and api.token', () => {
    const config = shipped();
    config.api.host = '0.0.0.0';
    expect(() => compileApiOptions(config))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/api\.host 0\.0\.0\.0 is reachable from other machines but api\.token is empty/);
  });

  it('serves other machines with a token, or without one when api.allowAnonymous says so', () => {
    const config = shipped();
    config.api.host = '0.0.0.0';
    config.api.token = 't0ken';
    expect(compileApiOptions(config).token).to.equal('t0ken');
    config.api.token = '';
    config.api.allowAnonymous = true;
    expect(compileApiOptions(config).host).to.equal('0.0.0.0');
  });
});
