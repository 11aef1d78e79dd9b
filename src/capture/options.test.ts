import { expect } from 'chai';
import type { StocklineConfig } from '../config/schema.js';
import { refusalOf, shippedConfig } from '../../test/support/options.js';
import { captureConfigured, compileCaptureOptions } from './options.js';

function standin(overrides: Partial<StocklineConfig['sap']> = {}): StocklineConfig {
  const config = shippedConfig();
  config.sap = { ...config.sap, password: 'secret', ...overrides };
  return config;
}

describe('compileCaptureOptions', () => {
  it('compiles the development stand-in: topics, state key, transactional id, bucket length', () => {
    const options = compileCaptureOptions(standin());
    expect(options.driver).to.equal('postgres');
    expect(options.topics).to.deep.equal({ matdoc: 'sap.sapabap1.MATDOC', mard: 'sap.sapabap1.MARD' });
    expect(options.core.source).to.equal('sap-capture/sap/sapabap1/MATDOC');
    expect(options.transactionalId).to.equal(
      'stockline-sap-capture-sap-sapabap1-MATDOC-stockline.sap-capture.state',
    );
    expect(options.core.bucketLength).to.equal(10);
    expect(options.core.target).to.deep.equal({ name: 'sap', db: 'sap', schema: 'sapabap1' });
    expect(Object.isFrozen(options.core)).to.equal(true);
  });

  it('is enabled only when sap.host is set', () => {
    expect(captureConfigured(standin())).to.equal(true);
    expect(captureConfigured(standin({ host: '' }))).to.equal(false);
  });

  it('refuses impossible combinations, naming the keys', () => {
    const cases: [Partial<StocklineConfig['sap']>, string[]][] = [
      [{ password: '' }, ['sap.password']],
      [{ lookBackMs: 120000, safetyLagMs: 120000, bucket: 'minute' }, ['sap.lookBackMs', 'sap.safetyLagMs']],
      [{ sweepIntervalMs: 86400000 }, ['sap.sweepIntervalMs', 'sap.lookBackMs']],
      [{ bucket: 'day', lookBackMs: 3600000, sweepIntervalMs: 60000 }, ['sap.bucket', 'sap.lookBackMs']],
      [{ timeZone: 'Mars/Olympus' }, ['sap.timeZone']],
      [{ tables: ['MATDOC', 'MSEG'] }, ['sap.tables']],
      [{ driver: 'postgres', database: '' }, ['sap.database', 'sap.driver']],
      [{ stateTopic: 'sap.sapabap1.MATDOC' }, ['sap.tables', 'sap.stateTopic']],
    ];
    for (const [overrides, keys] of cases) {
      const refusal = refusalOf(compileCaptureOptions, standin(overrides));
      expect(refusal.context.keys, JSON.stringify(overrides)).to.deep.equal(keys);
    }
  });
});
