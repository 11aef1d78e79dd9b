import { expect } from 'chai';
import { loadConfig } from '../config/load.js';
import type { StockReader } from '../stock/reads.js';
import { checkApiExposure, isLoopback, tokensMatch } from './auth.js';
import { buildApi } from './server.js';

const api = (env: NodeJS.ProcessEnv) => loadConfig({ dir: 'config', env }).api;

describe('stock API access', () => {
  it('refuses to start on a non-loopback address without a token unless anonymous access is configured', () => {
    expect(() => checkApiExposure(api({ STOCKLINE__API__HOST: '0.0.0.0' }))).to.throw(
      /api\.host 0\.0\.0\.0 is reachable from other machines but api\.token is empty.*api\.allowAnonymous: true/,
    );
    expect(() => checkApiExposure(api({ STOCKLINE__API__HOST: '10.1.2.3' }))).to.throw('api.token is empty');
    expect(() =>
      checkApiExposure(api({ STOCKLINE__API__HOST: '0.0.0.0', STOCKLINE__API__TOKEN: 't0ken' })),
    ).not.to.throw();
    expect(() =>
      checkApiExposure(api({ STOCKLINE__API__HOST: '0.0.0.0', STOCKLINE__API__ALLOWANONYMOUS: 'true' })),
    ).not.to.throw();
    expect(() => checkApiExposure(api({}))).not.to.throw();
    expect(['127.0.0.1', '127.9.9.9', '::1', '[::1]', 'localhost'].every(isLoopback)).to.equal(true);
    expect(['0.0.0.0', '::', '192.168.1.2', '128.0.0.1', 'example.com'].some(isLoopback)).to.equal(false);
  });

  it('compares tokens of any length without throwing, and only equal ones match', () => {
    expect(tokensMatch('secret-token', 'secret-token')).to.equal(true);
    expect(tokensMatch('secret-toke', 'secret-token')).to.equal(false);
    expect(tokensMatch('secret-token-and-more', 'secret-token')).to.equal(false);
    expect(tokensMatch('', '')).to.equal(false);
    expect(tokensMatch('ä', 'a\u0308')).to.equal(false);
  });

  it('/ready says the database is not ready without its raw error text', async () => {
    const app = await buildApi({
      stock: {} as StockReader,
      token: '',
      ready: () =>
        Promise.reject(
          new Error('password authentication failed for user "stockline_app" at db-7.internal:5432'),
        ),
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/ready' });
      expect(response.statusCode).to.equal(503);
      const body = response.json<{ ready: boolean; reason: string }>();
      expect(body.ready).to.equal(false);
      expect(body.reason).to.contain('stock database');
      expect(response.body).not.to.match(/password|stockline_app|db-7/);
    } finally {
      await app.close();
    }
  });
});
