import { expect } from 'chai';
import { classifyDebezium, type DebeziumChange } from './envelope.js';
import { debeziumPosition } from './position.js';

const change = (source: Record<string, unknown>, op = 'c') =>
  classifyDebezium({ op, before: null, after: { a: 1 }, source }) as DebeziumChange;

describe('Debezium envelopes', () => {
  it('read a change with or without the schema envelope', () => {
    const plain = classifyDebezium({
      op: 'c',
      before: null,
      after: { sku: 'x' },
      source: { name: 'store-pg' },
      ts_ms: 5,
    });
    expect(plain).to.include({ kind: 'change', op: 'c', ts_ms: 5 });
    const wrapped = classifyDebezium({
      schema: { type: 'struct' },
      payload: { op: 'u', before: { q: 1 }, after: { q: 2 }, source: {} },
    });
    expect(wrapped).to.deep.include({ kind: 'change', op: 'u', before: { q: 1 }, after: { q: 2 } });
  });

  it('recognise tombstones, heartbeats and schema changes as not errors', () => {
    expect(classifyDebezium(null).kind).to.equal('tombstone');
    expect(classifyDebezium({ schema: {}, payload: null }).kind).to.equal('tombstone');
    expect(classifyDebezium({ ts_ms: 1795598005925 }).kind).to.equal('heartbeat');
    expect(
      classifyDebezium({ source: {}, databaseName: 'store', ddl: 'ALTER TABLE x', tableChanges: [] }).kind,
    ).to.equal('schema-change');
  });

  it('say why a value is not a Debezium change event', () => {
    expect(classifyDebezium([1])).to.deep.equal({
      kind: 'not-debezium',
      reason: 'the value is not a JSON object',
    });
    expect(classifyDebezium({ op: 'x' })).to.deep.include({ kind: 'not-debezium' });
    expect(classifyDebezium({ sku: 'x' })).to.deep.include({
      reason: 'the value has no "op": it is not a Debezium change event',
    });
  });
});

describe('Debezium source positions', () => {
  it('order PostgreSQL changes by commit LSN, then LSN, across interleaved transactions', () => {
    // Transaction A writes at LSN 100 but commits at 300; B writes at 200 and commits at 250.
    const a = debeziumPosition(
      change({ connector: 'postgresql', name: 'pg', lsn: 100, sequence: '["300","100"]' }),
      { id: 1 },
    );
    const b = debeziumPosition(
      change({ connector: 'postgresql', name: 'pg', lsn: 200, sequence: '["250","200"]' }),
      { id: 1 },
    );
    expect(b.sequence < a.sequence, 'B committed first').to.equal(true);
    expect(a.position).to.equal('lsn:300:100:{"id":1}');
  });

  it('order MariaDB changes by binlog file, position and row, numerically', () => {
    const p = (file: string, pos: number, row: number) =>
      debeziumPosition(change({ connector: 'mariadb', name: 'm', db: 'store', table: 't', file, pos, row }), {
        id: 1,
      }).sequence;
    expect(p('binlog.000002', 4, 0) > p('binlog.000001', 999999, 9)).to.equal(true);
    expect(p('binlog.000001', 1000, 0) > p('binlog.000001', 999, 5)).to.equal(true);
    expect(p('binlog.000001', 1000, 1) > p('binlog.000001', 1000, 0)).to.equal(true);
  });

  it('tell snapshot rows at one position apart by key, with keys in a stable order', () => {
    const s = {
      connector: 'mariadb',
      name: 'm',
      db: 'store',
      table: 't',
      file: 'binlog.000001',
      pos: 5,
      row: 0,
      snapshot: 'true',
    };
    const one = debeziumPosition(change(s, 'r'), { b: 2, a: 1 });
    const two = debeziumPosition(change(s, 'r'), { a: 1, b: 3 });
    expect(one.position).to.equal('snapshot:binlog:binlog.000001:5:0:{"a":1,"b":2}');
    expect(one.position).to.not.equal(two.position);
    expect(one).to.include({ system: 'm', entity: 'store.t' });
  });
});
