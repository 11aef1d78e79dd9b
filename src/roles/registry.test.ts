import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../config/load.js';
import type { StocklineConfig } from '../config/schema.js';
import { ConfigError, UsageError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import type { Role } from '../service/role.js';
import { enabledRoles, ROLE_NAMES, ROLES, rolesNamed } from './registry.js';
import { startRoles } from './start.js';

const shipped = () =>
  structuredClone(
    loadConfig({ dir: path.resolve('config'), environment: 'development', env: {} }),
  ) as StocklineConfig;

/** The config behind a proxy that notes every key path read through it (`mapper.canonicalTopic`). */
function recording(config: StocklineConfig): { config: StocklineConfig; read: Set<string> } {
  const read = new Set<string>();
  const wrap = (node: object, at: string[]): object =>
    new Proxy(node, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof key !== 'string' || Array.isArray(target)) return value;
        const here = [...at, key];
        read.add(here.join('.'));
        return typeof value === 'object' && value !== null && !Array.isArray(value)
          ? wrap(value, here)
          : value;
      },
    });
  return { config: wrap(config, []) as StocklineConfig, read };
}

describe('role registry', () => {
  it('lists the roles in the order `stockline run` starts them, each under its own name', () => {
    expect(ROLE_NAMES).to.deep.equal(['mq-replicator', 'mapper', 'materializer', 'api']);
    for (const name of ROLE_NAMES) expect(ROLES[name].name).to.equal(name);
  });

  it("compiles each role's options from the config keys its entry declares, and no other", () => {
    for (const name of ROLE_NAMES) {
      const role = ROLES[name] as unknown as Role;
      const base = shipped();
      // A role the shipped configuration does not ask for (the replicator: no queues) gets what it needs.
      if (!(role.enabled?.(base) ?? true)) {
        base.mq.queueManager = 'QM1';
        base.mq.queues = [{ queue: 'WH.MOVES', topic: 'mf.whmoves', key: 'none', batchSize: 200 }];
      }
      const { config, read } = recording(base);
      role.compile(config);
      const declared = role.reads;
      const outside = [...read].filter(
        // Reading a section object on the way to a declared key of it is not reading the section.
        (p) => !declared.some((d) => p === d || p.startsWith(`${d}.`) || d.startsWith(`${p}.`)),
      );
      expect(outside, `${name} reads keys its entry does not declare`).to.deep.equal([]);
      expect(read.size, `${name} read nothing`).to.be.greaterThan(0);
    }
  });

  it('runs the MQ replicator without --role only when mq.queues lists queues', () => {
    const production = structuredClone(
      loadConfig({ dir: path.resolve('config'), environment: 'production', env: {} }),
    ) as StocklineConfig;
    expect(production.mq.queues).to.deep.equal([]);
    expect(enabledRoles(production)).to.deep.equal(['mapper', 'materializer', 'api']);
    production.mq.queues = [{ queue: 'WH.MOVES', topic: 'mf.whmoves', key: 'none', batchSize: 200 }];
    expect(enabledRoles(production)).to.deep.equal(['mq-replicator', 'mapper', 'materializer', 'api']);
  });

  it('runs the MQ replicator without --role in development and in the tests (RabbitMQ, WH.STOCK.MOVES)', () => {
    for (const environment of ['development', 'test']) {
      const config = loadConfig({ dir: path.resolve('config'), environment, env: {} });
      expect(config.mq.transport, environment).to.equal('amqp');
      expect(
        config.mq.queues.map((q) => `${q.queue} -> ${q.topic}`),
        environment,
      ).to.deep.equal(['WH.STOCK.MOVES -> mq.WH.STOCK.MOVES']);
      expect(enabledRoles(config), environment).to.include('mq-replicator');
      // Compiles: the shipped development queues are a configuration the replicator accepts.
      expect(ROLES['mq-replicator'].compile(config).queues).to.have.length(1);
      const none = loadConfig({
        dir: path.resolve('config'),
        environment,
        env: { STOCKLINE__MQ__QUEUES: '[]' },
      });
      expect(enabledRoles(none), environment).to.not.include('mq-replicator');
    }
  });

  it('names unknown roles and the known ones', () => {
    expect(rolesNamed(['api'])).to.deep.equal(['api']);
    expect(() => rolesNamed(['api', 'reconciler']))
      .to.throw(UsageError)
      .with.property('message', 'unknown role reconciler; roles: mq-replicator, mapper, materializer, api');
  });

  it('refuses a configuration one role cannot work with before any role starts', async () => {
    const config = shipped();
    // Were the mapper started first, it would fail on its missing mappings folder instead.
    config.mapper.mappingsDir = path.join('does', 'not', 'exist');
    config.materializer.concurrency = 12;
    const error = await startRoles(
      ['mapper', 'materializer'],
      config,
      createLogger({ level: 'silent' }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).message).to.contain(
      'materializer.concurrency (12) exceeds stockDb.poolMax (10)',
    );
  });
});
