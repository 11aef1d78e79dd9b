import { expect } from 'chai';
import { ConfigError } from '../errors.js';
import { shippedConfig } from '../../test/support/options.js';
import { compileApiOptions } from './options.js';

describe('compileApiOptions', () => {
  it('takes the shipped defaults: loopback, port 8080, no token, the stock database section', () => {
    const options = compileApiOptions(shippedConfig());
    expect(options).to.deep.include({ host: '127.0.0.1', port: 8080, token: '' });
    expect(options.stockDb.database).to.equal('stockline');
    expect(Object.isFrozen(options.stockDb)).to.be.true;
  });

  it('refuses an open API on an address other machines reach, naming api.host and api.token', () => {
    const config = shippedConfig();
    config.api.host = '0.0.0.0';
    expect(() => compileApiOptions(config))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/api\.host 0\.0\.0\.0 is reachable from other machines but api\.token is empty/);
  });

  it('serves other machines with a token, or without one when api.allowAnonymous says so', () => {
    const config = shippedConfig();
    config.api.host = '0.0.0.0';
    config.api.token = 't0ken';
    expect(compileApiOptions(config).token).to.equal('t0ken');
    config.api.token = '';
    config.api.allowAnonymous = true;
    expect(compileApiOptions(config).host).to.equal('0.0.0.0');
  });
});
