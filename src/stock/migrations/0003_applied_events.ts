import type { Knex } from 'knex';

/**
 * The ids of the canonical events applied, so that a re-delivered event changes nothing. Source
 * sequences cannot decide it: the events of one key come from several tables and raw topic
 * partitions and arrive in no global order. Ids older than the materializer's dedup window are
 * deleted (materializer.dedupWindowHours).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('stock_applied_events', (t) => {
    t.string('event_id', 64).primary();
    t.timestamp('applied_at', { useTz: true, precision: 6 }).notNullable();
    t.index(['applied_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('stock_applied_events');
}
