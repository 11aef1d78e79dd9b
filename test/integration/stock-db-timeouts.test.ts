import { expect } from 'chai';
import type { Knex } from 'knex';
import { createStockDb } from '../../src/stock/db.js';
import { stockDbError } from '../../src/stock/errors.js';
import { ensureStack, STACK_TIMEOUT_MS } from '../support/stack.js';

describe('stock database timeouts against the real stock database (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let db: Knex | undefined;

  after(async () => {
    await db?.destroy();
  });

  it('a statement running past stockDb.statementTimeoutMs is cancelled by the server and retriable', async () => {
    const { config } = await ensureStack();
    const short = structuredClone(config);
    short.stockDb.statementTimeoutMs = 200;
    db = createStockDb(short, { applicationName: 'stockline-test-timeouts' });
    const error = await db.raw('select pg_sleep(2)').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'the statement should have been cancelled').to.have.property('code', '57014');
    const wrapped = stockDbError('sleeping', error);
    expect(wrapped.retriable).to.equal(true);
    expect(wrapped.message).to.contain('statement timeout');
    // The connection stays usable after the cancel.
    const rows = await db.raw<{ rows: { one: number }[] }>('select 1 as one');
    expect(rows.rows[0]?.one).to.equal(1);
  });
});
