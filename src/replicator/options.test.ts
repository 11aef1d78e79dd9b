import { expect } from 'chai';
import type { StocklineConfig } from '../config/schema.js';
import { refusalOf, shippedConfig } from '../../test/support/options.js';
import { compileReplicatorOptions, replicatorConfigured } from './options.js';
import { crashHookFromEnv } from './crash.js';
import { ConfigError } from '../errors.js';

type QueueEntry = StocklineConfig['mq']['queues'][number];
const queue = (q: Partial<QueueEntry> & { queue: string; topic: string }): QueueEntry => ({
  key: 'none',
  batchSize: 200,
  ...q,
});

function withQueues(...queues: QueueEntry[]): StocklineConfig {
  const config = shippedConfig();
  config.mq.transport = 'amqp';
  config.mq.queueManager = 'QM1';
  config.mq.queues = queues;
  return config;
}

describe('compileReplicatorOptions', () => {
  it('compiles each queue with a transactional id and a state key per queue manager and queue', () => {
    const options = compileReplicatorOptions(
      withQueues(
        queue({ queue: 'WH.MOVES', topic: 'mf.whmoves' }),
        queue({ queue: 'WH/2', topic: 'mf.two', key: 'msgId' }),
      ),
    );
    expect(options.queues.map((q) => [q.transactionalId, q.stateKey, q.key])).to.deep.equal([
      ['stockline-mqrepl-QM1-WH.MOVES', 'QM1/WH.MOVES', 'none'],
      ['stockline-mqrepl-QM1-WH_2', 'QM1/WH/2', 'msgId'],
    ]);
    expect(options).to.deep.include({
      deadLetterTopic: 'mq.deadletter.v1',
      stateTopic: 'stockline.mqrepl.state',
      backoutThreshold: 10,
    });
    expect(Object.isFrozen(options.queues[0])).to.equal(true);
  });

  it('is enabled only when mq.queues lists queues, and refuses to start without any', () => {
    // config/default.yaml lists no queue and names no queue manager (development.yaml does).
    const none = shippedConfig();
    none.mq.queues = [];
    none.mq.queueManager = '';
    expect(replicatorConfigured(none)).to.equal(false);
    expect(replicatorConfigured(withQueues(queue({ queue: 'Q', topic: 't' })))).to.equal(true);
    const refusal = refusalOf(compileReplicatorOptions, none);
    expect(refusal.context.keys).to.include.members(['mq.queues', 'mq.queueManager']);
  });

  it('refuses a queue listed twice', () => {
    const refusal = refusalOf(
      compileReplicatorOptions,
      withQueues(queue({ queue: 'Q', topic: 'a' }), queue({ queue: 'Q', topic: 'b' })),
    );
    expect(refusal.context.keys).to.deep.equal(['mq.queues[1].queue']);
    expect(refusal.message).to.contain('lists the queue Q twice');
  });

  it('refuses two queues into one topic with key none, and accepts them keyed', () => {
    const refusal = refusalOf(
      compileReplicatorOptions,
      withQueues(queue({ queue: 'A', topic: 't' }), queue({ queue: 'B', topic: 't' })),
    );
    expect(refusal.context.keys).to.deep.equal(['mq.queues[0].topic', 'mq.queues[1].topic']);
    expect(() =>
      compileReplicatorOptions(
        withQueues(
          queue({ queue: 'A', topic: 't', key: 'msgId' }),
          queue({ queue: 'B', topic: 't', key: 'msgId' }),
        ),
      ),
    ).not.to.throw();
  });

  for (const [key, topic] of [
    ['mapper.canonicalTopic', 'inventory.events.v1'],
    ['mapper.deadLetterTopic', 'inventory.deadletter.v1'],
    ['materializer.stockTopic', 'inventory.stock.v1'],
    ['mq.deadLetterTopic', 'mq.deadletter.v1'],
    ['mq.stateTopic', 'stockline.mqrepl.state'],
  ] as const)
    it(`refuses a queue into ${key}`, () => {
      const refusal = refusalOf(compileReplicatorOptions, withQueues(queue({ queue: 'Q', topic })));
      expect(refusal.context.keys).to.deep.equal(['mq.queues[0].topic', key]);
    });

  it('refuses its dead-letter or state topic on a topic of another role, and the two on one topic', () => {
    const config = withQueues(queue({ queue: 'Q', topic: 't' }));
    config.mq.deadLetterTopic = 'inventory.deadletter.v1';
    config.mq.stateTopic = 'inventory.deadletter.v1';
    const refusal = refusalOf(compileReplicatorOptions, config);
    expect(refusal.context.keys).to.include.members([
      'mq.deadLetterTopic',
      'mq.stateTopic',
      'mapper.deadLetterTopic',
    ]);
  });
});

describe('crashHookFromEnv', () => {
  it('costs nothing when STOCKLINE_CRASH_AT is unset', () => {
    expect(crashHookFromEnv({})).to.equal(undefined);
  });

  it('refuses an unknown crash point, naming the known ones', () => {
    expect(() => crashHookFromEnv({ STOCKLINE_CRASH_AT: 'after-lunch' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.contains('after-get, during-produce');
  });

  it('passes by other points and earlier hits of its own', () => {
    const hook = crashHookFromEnv({ STOCKLINE_CRASH_AT: 'after-get:3' });
    // Would SIGKILL this process if it fired: reaching here after these calls is the assertion.
    hook?.('after-get');
    hook?.('after-get');
    hook?.('after-queue-commit');
    expect(hook).to.be.a('function');
  });
});
