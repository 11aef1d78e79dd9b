import { expect } from 'chai';
import { loadMappings, type MappingSources } from './load.js';
import { runMappingTest } from './test-runner.js';

// A transfer line: shipped by its insert, received by its update. Without `identity: row`, the
// "received" event made from the update and from a later snapshot read of the row get two ids.
const transfers = (identity: string) => `name: transfers
source: { topic: t, format: debezium-json${identity} }
ops: [c, r, u]
emit:
  - type: movement
    when: "\${op in ['c', 'r']}"
    sku: \${after.sku}
    location: \${after.from}
    quantity: \${$dneg(after.q)}
    unit: EA
    reason: transfer_out
    occurredAt: \${after.shipped}
  - type: movement
    when: "\${after.status = 'received' and (op in ['c', 'r'] or before.status = 'shipped')}"
    sku: \${after.sku}
    location: \${after.to}
    quantity: \${after.q}
    unit: EA
    reason: transfer_in
    occurredAt: \${after.received}
tests:
  - name: received
    input:
      key: { id: 9 }
      value:
        op: u
        before: { id: 9, sku: "1", from: W001, to: S001, q: "2", status: shipped, shipped: "2026-11-25T08:00:00Z" }
        after: { id: 9, sku: "1", from: W001, to: S001, q: "2", status: received, shipped: "2026-11-25T08:00:00Z", received: "2026-11-25T09:00:00Z" }
        source: { connector: postgresql, name: pg, db: d, schema: s, table: transfers, lsn: 500, sequence: '["490","500"]' }
    expect: [{ type: movement, location: S001, reason: transfer_in }]
`;

const sources = (text: string): MappingSources => ({
  mappingFiles: [{ path: 'transfers.yaml', text }],
  testFiles: [],
  lookupFiles: [],
  readRelative: () => undefined,
});

describe('mapping identity', () => {
  it('mappings test fails a mapping whose snapshot read of a row gives another id than the update that wrote it', async () => {
    const loaded = loadMappings(sources(transfers('')));
    const result = await runMappingTest(loaded.tests[0]!, () => undefined, loaded.tests);
    expect(result.passed).to.equal(false);
    expect(result.failure).to.contain('get different ids').and.contain('declare source.identity');
  });

  it('passes once the mapping says each event happens once in the row life (identity: row)', async () => {
    const loaded = loadMappings(sources(transfers(', identity: row')));
    const result = await runMappingTest(loaded.tests[0]!, () => undefined, loaded.tests);
    expect(result.failure).to.equal(undefined);
  });

  it('a change that cannot be identified is an error for the dead-letter topic, never a guess', async () => {
    const { mappings } = loadMappings(sources(transfers('')));
    const value = {
      op: 'u',
      before: { status: 'shipped' },
      after: {
        sku: '1',
        from: 'W001',
        to: 'S001',
        q: '2',
        status: 'received',
        received: '2026-11-25T09:00:00Z',
      },
      source: { connector: 'mysql', name: 'm', db: 'd', table: 'transfers', ts_ms: 5 },
    };
    const input = (key: string | null) => ({
      topic: 't',
      partition: 0,
      offset: '0',
      key: key === null ? null : Buffer.from(key),
      value: Buffer.from(JSON.stringify(value)),
      headers: {},
    });
    let error: unknown;
    await mappings[0]!.map(input('{"id":9}')).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain('cannot be identified').and.contain('without a log position');
    await mappings[0]!.map(input(null)).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain('no message key');
  });
});
