import type { Knex } from 'knex';

/**
 * Re-deliveries are recognised by event id (stock_applied_events, 0003); the per-source
 * sequence marks on the stock row are not read any more. They could not tell a re-delivery
 * from a late event of another table of the same source.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stock', (t) => t.dropColumn('source_marks'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stock', (t) => {
    t.text('source_marks').notNullable().defaultTo('{}');
  });
}
