import { expect } from 'chai';
import { MappingFileError } from './errors.js';
import { loadMappings, type MappingSources } from './load.js';
import { runMappingTest } from './test-runner.js';

const plants = { path: 'lookups/plants.csv', text: 'WERKS,location\n1000,DC01\n1100,W001\n' };

function sources(mappings: Record<string, string>, extra: Partial<MappingSources> = {}): MappingSources {
  return {
    mappingFiles: Object.entries(mappings).map(([path, text]) => ({ path, text })),
    testFiles: [],
    lookupFiles: [plants],
    readRelative: () => undefined,
    ...extra,
  };
}

function problems(s: MappingSources): string {
  try {
    loadMappings(s);
  } catch (e) {
    expect(e).to.be.instanceOf(MappingFileError);
    return (e as Error).message;
  }
  throw new Error('expected the mappings to be refused');
}

const good = `name: m
source: { topic: t, format: debezium-json }
emit:
  - type: movement
    sku: \${after.sku}
    location: { lookup: plants, key: { WERKS: "\${after.WERKS}" } }
    quantity: \${after.q}
    unit: EA
    reason: sale
    occurredAt: \${after.at}
`;

describe('mapping loader', () => {
  it('loads a valid mapping and its lookup', () => {
    const { mappings, lookups } = loadMappings(sources({ 'm.yaml': good }));
    expect(mappings.map((m) => m.name)).to.deep.equal(['m']);
    expect(lookups.names()).to.deep.equal(['plants']);
  });

  it('reports every problem of every file at once, each with file, line and column', () => {
    const bad = `name: Bad Name
source: { topic: t, format: debezium-json }
color: blue
emit:
  - type: movement
    sku: \${after.(}
    location: { lookup: nowhere, key: { a: "\${x}" } }
    quantity: \${a + b}
    unit: 7
    reason: sale
`;
    const message = problems(sources({ 'bad.yaml': bad, 'other.yaml': 'name: [' }));
    expect(message).to.match(/bad\.yaml:1:1: name must match pattern/);
    expect(message).to.match(/bad\.yaml:3:1: color unknown key "color"/);
    expect(message).to.match(/bad\.yaml:5:5: emit\[0\] "occurredAt" is required/);
    expect(message).to.match(/other\.yaml:1:\d+: not valid YAML/);
  });

  it('reports expressions that do not parse, missing lookups and float arithmetic with their position', () => {
    const bad = good
      .replace('${after.sku}', '${after.(}')
      .replace('lookup: plants', 'lookup: nowhere')
      .replace('quantity: ${after.q}', 'quantity: ${after.q * 2}');
    const message = problems(sources({ 'bad.yaml': bad }));
    expect(message).to.contain('3 problems');
    expect(message).to.match(/bad\.yaml:5:5: emit\[0\]\.sku: expression does not parse/);
    expect(message).to.match(
      /bad\.yaml:6:5: emit\[0\]\.location: lookup table "nowhere" does not exist; tables: plants/,
    );
    expect(message).to.match(/bad\.yaml:7:5: emit\[0\]\.quantity: "\*" is binary floating-point arithmetic/);
  });

  it('refuses two mappings with one name and a lookup with two rows for one key', () => {
    expect(problems(sources({ 'a.yaml': good, 'b.yaml': good }))).to.contain(
      'b.yaml:1:1: mapping name "m" is also used by a.yaml',
    );
    const dup = { path: 'lookups/plants.csv', text: 'WERKS,location\n1000,DC01\n1000,W001\n' };
    expect(problems(sources({ 'a.yaml': good }, { lookupFiles: [dup] }))).to.contain(
      'a.yaml:6:5: emit[0].location: lookup table "plants" (lookups/plants.csv:3) has two rows with WERKS=1000',
    );
  });

  it('needs a position for formats that do not carry one', () => {
    const json = good.replace('format: debezium-json', 'format: json');
    expect(problems(sources({ 'j.yaml': json }))).to.contain('format json needs "position"');
  });

  it('reads YAML lookup tables, fixed-width layouts with explicit offsets, and tests in a file beside the mapping', async () => {
    const fixed = `name: wh
source:
  topic: mq.X
  format: fixed-width
  position: \${record.SEQ}
  record:
    ccsid: 37
    layout:
      - { name: WH, offset: 0, length: 2, type: text }
      - { name: QTY, offset: 2, length: 3, type: packed, scale: 2, signed: true }
      - { name: SEQ, offset: 5, length: 2, type: zoned }
emit:
  - type: movement
    sku: X1
    location: { lookup: wh, key: { id: "\${record.WH}" } }
    quantity: \${record.QTY}
    unit: EA
    reason: adjustment
    occurredAt: "2026-01-01T00:00:00Z"
`;
    const loaded = loadMappings(
      sources(
        { 'wh.yaml': fixed },
        {
          lookupFiles: [
            { path: 'lookups/wh.yaml', text: '- { id: A1, location: W001 }\n- { id: B2, location: W002 }\n' },
          ],
          testFiles: [
            {
              path: 'wh.test.yaml',
              text: 'tests:\n  - name: packed -12.34 at A1\n    input: { hex: "c1f1 01234d f0f7" }\n    expect: [{ type: movement, location: W001, quantity: "-12.34", position: "07" }]\n',
            },
          ],
        },
      ),
    );
    expect(loaded.tests.map((t) => [t.mapping.name, t.file, t.line])).to.deep.equal([
      ['wh', 'wh.test.yaml', 2],
    ]);
    const result = await runMappingTest(loaded.tests[0]!, () => undefined);
    expect(result.failure).to.equal(undefined);
    expect(result.passed).to.equal(true);
  });

  it('reports every YAML syntax error of a mapping file at its own line and column, and refuses alias bombs', () => {
    const broken =
      'name: m\nsource: { topic: t, format: debezium-json }\nemit:\n  - type: [movement\n    sku: }\n';
    const bomb =
      'name: &a [x, x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n';
    const message = problems(sources({ 'broken.yaml': broken, 'bomb.yaml': bomb }));
    const yamlLines = message.split('\n').filter((l) => l.includes('broken.yaml'));
    expect(yamlLines.length).to.be.greaterThan(1);
    expect(message).to.match(/broken\.yaml:5:5: not valid YAML/);
    expect(message).to.match(/broken\.yaml:5:10: not valid YAML/);
    expect(message).not.to.match(/broken\.yaml:1:1:/);
    expect(message).to.match(/bomb\.yaml:1:1: not valid YAML: its aliases .*"billion laughs"/);
  });

  it('checks the constants of a mapping against the canonical event, each with file, line and column', () => {
    const bad = `name: m
source: { topic: t, format: debezium-json }
emit:
  - type: movement
    sku: \${after.sku}
    location: "DC 01"
    quantity: "1e2"
    sign: 2
    unit: each
    reason: sold
    occurredAt: "2026-11-20T08:15:02"
  - type: level
    sku: X1
    location: DC01
    quantity: "5"
    unit: EA
    reason: count
    occurredAt: "2026-13-01T00:00:00Z"
`;
    const message = problems(sources({ 'c.yaml': bad }));
    expect(message).to.contain('7 problems');
    expect(message).to.contain('c.yaml:6:5: emit[0].location: must match');
    expect(message).to.contain('c.yaml:7:5: emit[0].quantity: must be a decimal number');
    expect(message).to.contain('c.yaml:8:5: emit[0].sign: must be 1 or -1; got "2"');
    expect(message).to.contain('c.yaml:9:5: emit[0].unit: must be a unit of measure');
    expect(message).to.contain(
      'c.yaml:10:5: emit[0].reason: must be one of the canonical reasons sale, return, receipt, goods_issue, transfer_out, transfer_in, adjustment, count, snapshot; got "sold"',
    );
    expect(message).to.contain(
      'c.yaml:11:5: emit[0].occurredAt: must be an ISO 8601 date and time with an offset',
    );
    expect(message).to.contain('c.yaml:18:5: emit[1].occurredAt: must be an ISO 8601');
  });

  it('accepts valid constants and leaves expressions to run time', () => {
    const ok = good
      .replace('occurredAt: ${after.at}', 'occurredAt: "2026-11-20T08:15:02.123456+01:00"')
      .replace('reason: sale', 'reason: "${after.r}"');
    expect(loadMappings(sources({ 'm.yaml': ok })).mappings).to.have.length(1);
  });

  it('checks constant stock types, special stocks and posting dates; an empty one leaves the field out', async () => {
    const bad = good.replace(
      'occurredAt: ${after.at}',
      'occurredAt: ${after.at}\n    stockType: sellable\n    specialStock: "k"\n    postingDate: "2026-11-31"',
    );
    const message = problems(sources({ 's.yaml': bad }));
    expect(message).to.contain('3 problems');
    expect(message).to.contain('emit[0].stockType: must be one of the canonical stock types unrestricted,');
    expect(message).to.contain('emit[0].specialStock: must match');
    expect(message).to.contain('emit[0].postingDate: must be an ISO 8601 date');

    const optional = `${good.replace('location: { lookup: plants, key: { WERKS: "${after.WERKS}" } }', 'location: DC01')}    stockType: \${after.type}
    specialStock: \${after.special}
    postingDate: \${$sapDate(after.posted)}
tests:
  - name: given
    input:
      key: { id: 1 }
      value: { op: c, after: { id: 1, sku: A1, q: "2", at: "2026-11-20T08:15:02Z", type: blocked, special: K, posted: "20261119" }, source: { connector: postgresql, name: s, db: d, schema: p, table: t, lsn: 5 } }
    expect:
      - { type: movement, stockType: blocked, specialStock: K, postingDate: "2026-11-19" }
  - name: empty values leave the fields out
    input:
      key: { id: 2 }
      value: { op: c, after: { id: 2, sku: A1, q: "2", at: "2026-11-20T08:15:02Z", type: "", special: "" , posted: "20261119" }, source: { connector: postgresql, name: s, db: d, schema: p, table: t, lsn: 6 } }
    expect:
      - { type: movement, stockType: "", specialStock: "", postingDate: "2026-11-19" }
  - name: a stock type that is not canonical makes an invalid event
    input:
      key: { id: 3 }
      value: { op: c, after: { id: 3, sku: A1, q: "2", at: "2026-11-20T08:15:02Z", type: sellable, special: "", posted: "20261119" }, source: { connector: postgresql, name: s, db: d, schema: p, table: t, lsn: 7 } }
    expectError: stockType must be equal to one of the allowed values
  - name: a posting date that is not ABAP DATS is an error
    input:
      key: { id: 4 }
      value: { op: c, after: { id: 4, sku: A1, q: "2", at: "2026-11-20T08:15:02Z", type: blocked, special: "", posted: "2026-11-19" }, source: { connector: postgresql, name: s, db: d, schema: p, table: t, lsn: 8 } }
    expectError: is not an ABAP DATS date
`;
    const { mappings, tests } = loadMappings(sources({ 'o.yaml': optional }));
    const mapping = mappings[0]!;
    expect(tests).to.have.length(4);
    for (const test of tests) {
      const result = await runMappingTest(test, () => undefined, tests);
      expect(result.failure ?? '', test.test.name).to.equal('');
      expect(result.passed, test.test.name).to.equal(true);
    }
    const empty = await mapping.map({
      topic: 't',
      partition: 0,
      offset: '1',
      key: Buffer.from('{"id":2}'),
      value: Buffer.from(
        JSON.stringify({
          op: 'c',
          after: {
            id: 2,
            sku: 'A1',
            q: '2',
            at: '2026-11-20T08:15:02Z',
            type: '',
            special: '',
            posted: '20261119',
          },
          source: { connector: 'postgresql', name: 's', db: 'd', schema: 'p', table: 't', lsn: 6 },
        }),
      ),
      headers: {},
    });
    expect(empty.kind).to.equal('events');
    if (empty.kind === 'events') {
      expect(empty.events[0]!.data).not.to.have.any.keys('stockType', 'specialStock');
      expect(empty.events[0]!.data.postingDate).to.equal('2026-11-19');
    }
  });
});
