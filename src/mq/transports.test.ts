import { expect } from 'chai';
import type { StocklineError } from '../errors.js';
import { shippedConfig } from '../../test/support/options.js';
import { createQueueTransport } from './transports.js';

describe('createQueueTransport (src/mq/transports.ts)', () => {
  it('mq.transport ibmmq reaches the IBM MQ transport, which checks its section before loading anything', async () => {
    const { mq } = shippedConfig();
    // As config/default.yaml leaves it (config/development.yaml names RabbitMQ's stand-in).
    mq.transport = 'ibmmq';
    mq.queueManager = '';
    let error: unknown;
    await createQueueTransport(mq).catch((e: unknown) => (error = e));
    // By name and code: the transport module comes through import(), which under mocha's
    // CommonJS hook is a second copy of the modules (src/roles/registry.ts says more).
    expect((error as StocklineError).name).to.equal('ConfigError');
    expect((error as StocklineError).code).to.equal('STOCKLINE_CONFIG_INVALID');
    expect(String(error)).to.contain('mq.queueManager');
  });
});
