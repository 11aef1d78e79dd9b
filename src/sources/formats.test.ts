import { Type } from '@sinclair/typebox';
import { expect } from 'chai';
import { FormatRegistry, listed, UnreadableRecord, type SourceFormat, type SourceRecord } from './format.js';
import { SOURCE_FORMATS } from './formats.js';

const record = (value: string | Buffer | null, headers: Record<string, string> = {}): SourceRecord => ({
  topic: 't',
  partition: 0,
  offset: '7',
  key: Buffer.from('k'),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
});

const stub = (name: string, optionsKey?: string): SourceFormat => ({
  name,
  description: 'a test format',
  identity: { by: 'mapping' },
  ...(optionsKey ? { options: { key: optionsKey, schema: Type.Object({}) } } : {}),
  prepare: () => ({ problems: [] }),
});

const env = { readRelative: () => undefined };
const reader = (format: string, source: Record<string, unknown> = {}, ops?: string[]) => {
  const prepared = SOURCE_FORMATS.get(format)!.prepare(
    { name: 'm', file: 'mappings/m.yaml', source: { format, ...source }, ops },
    env,
  );
  expect(prepared.problems).to.deep.equal([]);
  return prepared.reader!;
};

describe('source format registry', () => {
  it('ships debezium-json, json and fixed-width, in the order the mapping schema lists them', () => {
    expect(SOURCE_FORMATS.names).to.deep.equal(['debezium-json', 'json', 'fixed-width']);
    expect(SOURCE_FORMATS.get('avro')).to.equal(undefined);
  });

  it('adds a format without changing the registry it came from', () => {
    const more = SOURCE_FORMATS.with(stub('mq-test'));
    expect(more.names).to.deep.equal(['debezium-json', 'json', 'fixed-width', 'mq-test']);
    expect(SOURCE_FORMATS.names).to.not.include('mq-test');
  });

  it('refuses two formats of one name, and an options key that another format or every mapping has', () => {
    expect(() => SOURCE_FORMATS.with(stub('json'))).to.throw('two source formats are named json');
    expect(() => SOURCE_FORMATS.with(stub('x', 'record'))).to.throw(
      'source format x declares options "record", a key of format fixed-width',
    );
    expect(() => new FormatRegistry([stub('x', 'topic')])).to.throw('a key every mapping has');
    expect(() => new FormatRegistry([stub('x', 'position')])).to.throw('a key every mapping has');
  });

  it('lists names in a sentence', () => {
    expect([listed(['a']), listed(['a', 'b']), listed(['a', 'b', 'c'])]).to.deep.equal([
      'a',
      'a and b',
      'a, b and c',
    ]);
  });
});

describe('shipped source formats', () => {
  it('json: the value parsed, the key and headers as text; a tombstone skipped; bytes that are not JSON name the field', () => {
    const json = reader('json');
    const read = json.read(record('{"q":"2.5"}', { h: 'x' }));
    expect(read)
      .to.have.property('values')
      .that.deep.equals({
        key: 'k',
        headers: { h: 'x' },
        topic: 't',
        value: { q: '2.5' },
      });
    expect(json.read(record(null))).to.deep.equal({ skip: 'tombstone' });
    try {
      json.read(record('{oops'));
      expect.fail('expected UnreadableRecord');
    } catch (e) {
      expect(e).to.be.instanceOf(UnreadableRecord);
      expect((e as UnreadableRecord).context.field).to.equal('value');
      expect((e as Error).message).to.match(/^the message value is not JSON: /);
    }
  });

  it('json and fixed-width: the change is what the mapping declares, system and entity default to the topic', () => {
    const read = reader('json').read(record('{}'));
    if ('skip' in read) expect.fail(read.skip);
    expect(read.identify({ position: 'p1' })).to.deep.equal({
      system: 't',
      entity: 't',
      change: 'p1',
      sequence: 'p1',
      snapshot: false,
    });
    expect(read.identify({ position: 'p1', sequence: '0007' }).sequence).to.equal('0007');
  });

  it('debezium-json: skips what the mapping does not handle, and refuses a value that is no change event', () => {
    const debezium = reader('debezium-json', {}, ['c']);
    const update = JSON.stringify({ op: 'u', after: {}, source: {} });
    expect(debezium.read(record(update))).to.deep.equal({
      skip: 'op u is not handled by this mapping (ops: c)',
    });
    expect(debezium.read(record('{"ts_ms":1}'))).to.deep.equal({ skip: 'heartbeat' });
    expect(() => debezium.read(record('{"a":1}'))).to.throw(
      UnreadableRecord,
      'it is not a Debezium change event',
    );
  });

  it('debezium-json: a row-key identity, refined by the keyword "row" or a declared value', () => {
    const insert = JSON.stringify({ op: 'u', after: { id: 1 }, source: { lsn: 10, name: 'pg' } });
    const read = reader('debezium-json', {}, ['u']).read({ ...record(insert), key: Buffer.from('{"id":1}') });
    if ('skip' in read) expect.fail(read.skip);
    expect(read.identify({}).change).to.equal('u:lsn:10:10:{"id":1}');
    expect(read.identify({ identity: { keyword: 'row' } }).change).to.equal('row:{"id":1}');
    expect(read.identify({ identity: { value: 'v3' } }).change).to.equal('row:{"id":1}@v3');
  });

  it('debezium-json: offers a snapshot re-read of an insert, and another update unless the mapping refines identity', () => {
    const debezium = SOURCE_FORMATS.get('debezium-json')!;
    const probes = (value: unknown, mapping: { refinesIdentity: boolean }) =>
      debezium.identityProbes!(value, mapping);
    const update = { op: 'u', before: { q: 1 }, after: { q: 2 }, source: { lsn: 5 } };
    const found = probes(update, { refinesIdentity: false });
    expect(found.map((p) => p.expect)).to.deep.equal(['same-change', 'other-change']);
    expect(found[0]!.value).to.deep.include({ op: 'r', after: { q: 2 } });
    expect(found[1]!.describe).to.equal('two updates of one row at different log positions');
    expect(probes(update, { refinesIdentity: true }).map((p) => p.expect)).to.deep.equal(['same-change']);
    expect(probes('not a change', { refinesIdentity: false })).to.deep.equal([]);
  });

  it('fixed-width: needs a layout, and names a copybook that is not there', () => {
    const fixed = SOURCE_FORMATS.get('fixed-width')!;
    const none = fixed.prepare({ name: 'm', file: 'm.yaml', source: { format: 'fixed-width' } }, env);
    expect(none.reader).to.equal(undefined);
    expect(none.problems.map((p) => p.message)).to.deep.equal([
      'fixed-width needs a record layout: copybook or layout, and ccsid',
    ]);
    const missing = fixed.prepare(
      {
        name: 'm',
        file: 'mappings/m.yaml',
        source: { format: 'fixed-width', record: { copybook: 'X.cpy', ccsid: 37 } },
      },
      env,
    );
    expect(missing.problems[0]).to.deep.equal({
      path: '/source/record/copybook',
      message: 'source.record.copybook X.cpy does not exist (relative to mappings/m.yaml)',
      plain: true,
    });
  });

  it('fixed-width: decodes the record with the layout, EBCDIC text and packed decimal', () => {
    const fixed = reader('fixed-width', {
      record: {
        ccsid: 37,
        layout: [
          { name: 'WH', offset: 0, length: 2, type: 'text' },
          { name: 'QTY', offset: 2, length: 3, type: 'packed', scale: 2, signed: true },
        ],
      },
    });
    const read = fixed.read(record(Buffer.from('e6c812345d', 'hex')));
    if ('skip' in read) expect.fail(read.skip);
    expect(read.values.record).to.deep.equal({ WH: 'WH', QTY: '-123.45' });
    expect(() => fixed.read(record(Buffer.from('e6c8', 'hex')))).to.throw('needs 5');
  });
});
