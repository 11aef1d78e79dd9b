import { expect } from 'chai';
import { classifyDebezium, type DebeziumChange } from './envelope.js';
import { UnidentifiableChange } from '../format.js';
import { debeziumPosition, logPosition } from './position.js';

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

describe('Debezium change identity and position', () => {
  const DEFAULT = { kind: 'default' } as const;

  it('order PostgreSQL changes by commit LSN, then LSN, across interleaved transactions', () => {
    // Transaction A writes at LSN 100 but commits at 300; B writes at 200 and commits at 250.
    const a = debeziumPosition(
      change({ connector: 'postgresql', name: 'pg', lsn: 100, sequence: '["300","100"]' }, 'u'),
      { id: 1 },
      DEFAULT,
    );
    const b = debeziumPosition(
      change({ connector: 'postgresql', name: 'pg', lsn: 200, sequence: '["250","200"]' }, 'u'),
      { id: 1 },
      DEFAULT,
    );
    expect(b.sequence < a.sequence, 'B committed first').to.equal(true);
    expect(a.change).to.equal('u:lsn:300:100:{"id":1}');
    expect(a.change).to.not.equal(b.change);
  });

  it('order MariaDB changes by binlog file, position and row, numerically', () => {
    const p = (file: string, pos: number, row: number) =>
      debeziumPosition(
        change({ connector: 'mariadb', name: 'm', db: 'store', table: 't', file, pos, row }),
        { id: 1 },
        DEFAULT,
      ).sequence;
    expect(p('binlog.000002', 4, 0) > p('binlog.000001', 999999, 9)).to.equal(true);
    expect(p('binlog.000001', 1000, 0) > p('binlog.000001', 999, 5)).to.equal(true);
    expect(p('binlog.000001', 1000, 1) > p('binlog.000001', 1000, 0)).to.equal(true);
  });

  it('identify an inserted row by its key: the stream insert and any snapshot read of it are one change', () => {
    const streamed = debeziumPosition(
      change({ connector: 'postgresql', name: 'pg', lsn: 100, sequence: '["90","100"]' }, 'c'),
      { b: 2, a: 1 },
      DEFAULT,
    );
    const snapshot = debeziumPosition(
      change(
        { connector: 'postgresql', name: 'pg', lsn: 900, sequence: '[null,"900"]', snapshot: 'true' },
        'r',
      ),
      { a: 1, b: 2 },
      DEFAULT,
    );
    const incremental = debeziumPosition(
      change({ connector: 'postgresql', name: 'pg', lsn: 950, snapshot: 'incremental' }, 'r'),
      { a: 1, b: 2 },
      DEFAULT,
    );
    expect(streamed.change).to.equal('row:{"a":1,"b":2}');
    expect(snapshot.change).to.equal(streamed.change);
    expect(incremental.change).to.equal(streamed.change);
    expect([streamed.snapshot, snapshot.snapshot, incremental.snapshot]).to.deep.equal([false, true, true]);
  });

  it('tell two updates of one row apart, and two rows apart', () => {
    const at = (lsn: number, id: number) =>
      debeziumPosition(change({ connector: 'postgresql', name: 'pg', lsn }, 'u'), { id }, DEFAULT).change;
    expect(at(100, 1)).to.not.equal(at(200, 1));
    expect(at(100, 1)).to.not.equal(at(100, 2));
  });

  it('identify by a value of the row, or by the row whatever the op, when the mapping says so', () => {
    const s = { connector: 'mariadb', name: 'm', db: 'store', table: 't', file: 'binlog.000001', pos: 5 };
    const update = debeziumPosition(
      change(s, 'u'),
      { id: 1 },
      { kind: 'value', value: '2026-11-25T09:30:00Z' },
    );
    const read = debeziumPosition(
      change({ ...s, pos: 99, snapshot: 'true' }, 'r'),
      { id: 1 },
      {
        kind: 'value',
        value: '2026-11-25T09:30:00Z',
      },
    );
    expect(update.change).to.equal(read.change);
    expect(debeziumPosition(change(s, 'u'), { id: 1 }, { kind: 'row' }).change).to.equal('row:{"id":1}');
  });

  it('refuse to guess: no key, or an update without a log position, cannot be identified', () => {
    expect(() =>
      debeziumPosition(change({ connector: 'postgresql', name: 'pg', lsn: 1 }), null, DEFAULT),
    ).to.throw(UnidentifiableChange, /no message key/);
    expect(() => debeziumPosition(change({ name: 'x', ts_ms: 5 }, 'u'), { id: 1 }, DEFAULT)).to.throw(
      UnidentifiableChange,
      /without a log position/,
    );
    expect(() => debeziumPosition(change({ name: 'x', ts_ms: 5 }, 'c'), { id: 1 }, DEFAULT)).to.throw(
      UnidentifiableChange,
      /no log position/,
    );
  });

  it('write log positions as whole numbers without leading zeros, beyond 2^53 too', () => {
    expect(
      logPosition(
        change({ connector: 'postgresql', lsn: 5, sequence: '["007","0000123456789012345678901"]' }),
      ),
    ).to.deep.equal({
      point: 'lsn:7:123456789012345678901',
      sequence: '00000000000000000007:123456789012345678901',
    });
    expect(
      logPosition(change({ connector: 'postgresql', lsn: '000', sequence: '[null,null]' })),
    ).to.deep.equal({
      point: 'lsn:0:0',
      sequence: '00000000000000000000:00000000000000000000',
    });
    expect(logPosition(change({ connector: 'postgresql', lsn: 2 ** 53, sequence: 'no json' }))).to.equal(
      undefined,
    );
    expect(logPosition(change({ connector: 'postgresql', lsn: -1 }))).to.equal(undefined);
    expect(logPosition(change({ file: 'binlog.000012', pos: '0042', row: 3 }))).to.deep.equal({
      point: 'binlog:binlog.000012:42:3',
      sequence: '0000000012:00000000000000000042:000003',
    });
  });
});
