import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.js';
import type { StockReader } from '../../src/stock/reads.js';
import { startMapper, type MapperHandle } from '../../src/mapper/service.js';
import { compileMapperOptions } from '../../src/mapper/options.js';
import { createLogger } from '../../src/observability/logger.js';
import { isolatedMapperConfig, uniqueSuffix } from '../support/config.js';
import { createTestTopics, produceRecords } from '../support/kafka.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

const log = createLogger({ level: 'silent' });

/** The value of one sample of the Prometheus text, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    if (wanted.every((w) => inside.split(',').includes(w))) return Number(line.slice(line.indexOf('}') + 1));
  }
  return undefined;
}

describe('metrics of the mapper through the real /metrics endpoint (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  const suffix = uniqueSuffix();
  const raw = `test.raw.metrics.${suffix}`;
  let mapper: MapperHandle | undefined;
  let api: FastifyInstance | undefined;
  let dropTopics: (() => Promise<void>) | undefined;
  let url: string;

  before(async () => {
    const env = await ensureStack();
    const config = isolatedMapperConfig(env.config, suffix);
    const dir = mkdtempSync(path.join(tmpdir(), 'stockline-metrics-mappings-'));
    writeFileSync(
      path.join(dir, 'metrics-test.yaml'),
      [
        'name: metrics-test',
        'source:',
        `  topic: ${raw}`,
        '  format: json',
        '  position: ${value.id}',
        'emit:',
        '  - type: movement',
        '    sku: ${value.sku}',
        '    location: S001',
        '    quantity: ${value.qty}',
        '    unit: EA',
        '    reason: sale',
        '    occurredAt: "2026-11-25T10:00:00Z"',
        '',
      ].join('\n'),
    );
    config.mapper.mappingsDir = dir;
    dropTopics = await createTestTopics(config.kafka.brokers, [{ topic: raw, partitions: 1 }]);
    await produceRecords(config.kafka.brokers, raw, [
      { key: '1', value: JSON.stringify({ id: '1', sku: 'M1', qty: '2' }) },
      { key: '2', value: JSON.stringify({ id: '2', sku: 'M1', qty: '3' }) },
      { key: '3', value: JSON.stringify({ id: '3', sku: 'M1', qty: '0x10' }) },
    ]);
    mapper = await startMapper(compileMapperOptions(config), log);
    api = await buildApi({
      stock: {} as StockReader,
      token: '',
      ready: () => Promise.resolve({ ready: true }),
    });
    url = await api.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await mapper?.stop();
    await api?.close();
    await dropTopics?.();
  });

  it('counts mapped events and dead letters by mapping and code, and sets the consumer lag', async () => {
    let text: string;
    const deadline = Date.now() + 60000;
    for (;;) {
      text = await (await fetch(`${url}/metrics`)).text();
      const lag = sample(text, 'stockline_consumer_lag', { role: 'mapper', topic: raw, partition: '0' });
      const dead = sample(text, 'stockline_dead_letters_total', { mapping: 'metrics-test' });
      if ((lag === 0 && dead !== undefined) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(sample(text, 'stockline_mapper_events_total', { outcome: 'mapped' }), text).to.be.at.least(2);
    expect(sample(text, 'stockline_mapper_events_total', { outcome: 'dead_letter' })).to.be.at.least(1);
    expect(
      sample(text, 'stockline_dead_letters_total', {
        mapping: 'metrics-test',
        code: 'STOCKLINE_MAPPING_FAILED',
      }),
      text
        .split('\n')
        .filter((l) => l.startsWith('stockline_dead_letters_total'))
        .join('\n'),
    ).to.equal(1);
    expect(sample(text, 'stockline_consumer_lag', { role: 'mapper', topic: raw, partition: '0' })).to.equal(
      0,
    );
  });

  it('reports the same figures and its health through the role handle (what bench reads), until it stops', async () => {
    expect(mapper!.stats()).to.deep.equal({ consumed: 3, produced: 2, skipped: 0, deadLettered: 1 });
    expect(await mapper!.health()).to.deep.equal({ ok: true });
    await mapper!.stop();
    expect(await mapper!.health()).to.deep.equal({ ok: false, reason: 'the mapper stopped' });
  });
});
