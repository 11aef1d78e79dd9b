import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { readMappings } from '../../src/mapper/mapping-files.js';
import { runMappingTest, testInput } from '../../src/mapping/test-runner.js';

const loaded = readMappings('mappings');

// The schema as published to subscribers (the generated file), checked independently of the mapper.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateData = ajv.compile(
  JSON.parse(readFileSync('schemas/inventory-event-data.v1.json', 'utf8')) as object,
);

describe('shipped mappings (mappings/)', () => {
  it('load without a problem and cover every source of the stack', () => {
    const topics = loaded.mappings.flatMap((m) => m.topics);
    for (const table of ['sale_lines', 'goods_receipts', 'transfers', 'stock_on_hand']) {
      expect(topics).to.include(`store-pg.public.${table}`);
      expect(topics).to.include(`store-maria.store.${table}`);
    }
    expect(topics).to.include.members(['sap.sapabap1.MATDOC', 'sap.sapabap1.MARD', 'mq.WH.STOCK.MOVES']);
  });

  for (const test of loaded.tests) {
    it(`${test.mapping.name}: ${test.test.name}`, async () => {
      const result = await runMappingTest(test, loaded.sources.readRelative, loaded.tests);
      expect(result.passed, result.failure).to.equal(true);
      const outcome = await test.mapping
        .map(testInput(test, loaded.sources.readRelative))
        .catch(() => undefined);
      for (const event of outcome?.kind === 'events' ? outcome.events : []) {
        expect(validateData(event.data), JSON.stringify(validateData.errors)).to.equal(true);
        expect(event.subject).to.equal(`${event.data.sku}@${event.data.location}`);
      }
    });
  }
});
