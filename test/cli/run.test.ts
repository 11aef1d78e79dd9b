import { expect } from 'chai';
import { expectNoStackTrace, runCli } from '../support/cli.js';

describe('stockline run: what it refuses before starting anything', function () {
  this.timeout(60000);

  it('names an unknown role and the roles there are', async () => {
    const { code, stderr } = await runCli(['run', '--role', 'reconciler']);
    expect(code).to.equal(1);
    expect(stderr).to.contain('unknown role reconciler; roles: mq-replicator, mapper, materializer, api');
    expectNoStackTrace(stderr);
  });

  it('refuses materializer.concurrency above stockDb.poolMax with a sentence naming both keys', async () => {
    // Refused while compiling the options, before the mapper (first in order) connects to
    // anything: with a broker address nothing listens on, a started mapper would hang instead.
    const { code, stderr } = await runCli(
      ['run'],
      {
        STOCKLINE__MATERIALIZER__CONCURRENCY: '12',
        STOCKLINE__KAFKA__BROKERS: '127.0.0.1:9',
      },
      60000,
    );
    expect(code).to.equal(1);
    expect(stderr).to.contain(
      'materializer.concurrency (12) exceeds stockDb.poolMax (10): each partition applied at the same time needs its own connection; raise stockDb.poolMax or lower materializer.concurrency',
    );
    expectNoStackTrace(stderr);
  });

  it('refuses `run --role mq-replicator` without queues, naming mq.queues', async () => {
    // The tests' configuration lists the development queue (config/test.yaml): none here.
    const { code, stderr } = await runCli(['run', '--role', 'mq-replicator'], {
      STOCKLINE__KAFKA__BROKERS: '127.0.0.1:9',
      STOCKLINE__MQ__QUEUES: '[]',
    });
    expect(code).to.equal(1);
    expect(stderr).to.contain('mq.queues is empty: list at least one queue');
    expectNoStackTrace(stderr);
  });
});
