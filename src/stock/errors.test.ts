import { expect } from 'chai';
import { isRetriableDbError, stockDbError } from './errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('stock database errors: what a retry can heal', () => {
  it('a database restart or failover is retriable: shutdown, crash, starting up, refused, dropped', () => {
    for (const e of [
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('terminating connection because of crash of another server process', '57P02'),
      withCode('the database system is starting up', '57P03'),
      withCode('connect ECONNREFUSED 127.0.0.1:15432', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client was closed and is not queryable'),
      new Error('server closed the connection unexpectedly'),
      new Error('Knex: Timeout acquiring a connection. The pool is probably full.'),
    ])
      expect(isRetriableDbError(e), e.message).to.equal(true);
  });

  it('looks through a wrapper at its cause', () => {
    const wrapped = new Error('select failed', {
      cause: withCode('the database system is shutting down', '57P03'),
    });
    expect(isRetriableDbError(wrapped)).to.equal(true);
    expect(stockDbError('reading rows', wrapped).retriable).to.equal(true);
  });

  it('a statement the database refuses is not: a constraint, a value out of range', () => {
    expect(isRetriableDbError(withCode('duplicate key value violates unique constraint', '23505'))).to.equal(
      false,
    );
    expect(isRetriableDbError(withCode('numeric field overflow', '22003'))).to.equal(false);
    expect(isRetriableDbError(new Error('syntax error'))).to.equal(false);
  });
});
