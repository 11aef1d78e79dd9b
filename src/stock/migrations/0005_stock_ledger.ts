import type { Knex } from 'knex';

/**
 * The ledger replaces the applied event ids (0003): the movements applied after their key's
 * barrier (the last level), with their times and quantities. It is the memory of what was
 * applied (a movement in it, or at or before the barrier, was applied before) and what a late
 * level needs (on hand = the level + the movements that occurred after it). A level removes the
 * key's rows up to its time, so the ledger holds per key the movements since its last count.
 *
 * Range-partitioned by occurred_at, one partition per month (created when a batch first needs
 * it, src/stock/postgres/ledger.ts): movements older than the horizon
 * (materializer.ledgerHorizonDays) are forgotten by dropping whole partitions, and
 * stock_ledger_horizon records the horizon, before which no event is applied any more.
 * PostgreSQL's declarative partitioning: this table is PostgreSQL's, like the batch statement.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE stock_ledger (
      sku         varchar(40)    NOT NULL,
      location    varchar(20)    NOT NULL,
      occurred_at timestamptz(6) NOT NULL,
      event_id    varchar(64)    NOT NULL,
      quantity    numeric(24, 6) NOT NULL,
      PRIMARY KEY (sku, location, occurred_at, event_id)
    ) PARTITION BY RANGE (occurred_at)`);
  await knex.schema.createTable('stock_ledger_horizon', (t) => {
    t.integer('id').primary();
    t.timestamp('horizon', { useTz: true, precision: 6 }).nullable();
    t.timestamp('updated_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
  });
  await knex('stock_ledger_horizon').insert({ id: 1, horizon: null });
  await knex.schema.dropTable('stock_applied_events');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.createTable('stock_applied_events', (t) => {
    t.string('event_id', 64).primary();
    t.timestamp('applied_at', { useTz: true, precision: 6 }).notNullable();
    t.index(['applied_at']);
  });
  await knex.schema.dropTable('stock_ledger_horizon');
  await knex.raw('DROP TABLE stock_ledger');
}
