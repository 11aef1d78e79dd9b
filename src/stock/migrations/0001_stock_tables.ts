import type { Knex } from 'knex';

/**
 * The stock store. Portable DDL through knex's schema builder (PostgreSQL today; MySQL,
 * SQL Server and the others knex supports take the same migration). No foreign keys from stock
 * to locations or items: events routinely arrive before the reference data that names them.
 *
 * A migration is history: names and sizes are spelled out here rather than imported, so that a
 * later rename in the code cannot change what this migration did. Sizes follow the canonical
 * event schema (schemas/inventory-event-data.v1.json): SKU up to 40 characters, location up to
 * 20, unit up to 3, quantities with up to 15 integer and 6 fractional digits (rows get 18
 * integer digits, totals 24, as headroom for sums).
 */

const time = (t: Knex.CreateTableBuilder, name: string) => t.timestamp(name, { useTz: true, precision: 6 });

function totalsColumns(t: Knex.CreateTableBuilder): void {
  t.decimal('on_hand', 30, 6).notNullable();
  t.integer('locations').notNullable().comment('stock rows counted in this total');
  t.integer('negative_locations').notNullable().comment('of those, rows with negative stock');
  time(t, 'updated_at').notNullable();
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('locations', (t) => {
    t.string('id', 20).primary();
    t.string('kind', 24).notNullable().comment('store | warehouse | distribution_center');
    t.string('region', 40).notNullable();
    t.string('data_center', 40).notNullable();
    t.string('name', 120);
    time(t, 'updated_at').notNullable();
    t.index(['region']);
  });

  await knex.schema.createTable('items', (t) => {
    t.string('sku', 40).primary();
    t.string('description', 200);
    t.string('base_unit', 3).notNullable();
    time(t, 'updated_at').notNullable();
  });

  await knex.schema.createTable('item_barcodes', (t) => {
    t.string('barcode', 64).primary();
    t.string('sku', 40).notNullable().references('sku').inTable('items').onDelete('CASCADE');
    t.index(['sku']);
  });

  await knex.schema.createTable('stock', (t) => {
    t.string('sku', 40).notNullable();
    t.string('location', 20).notNullable();
    t.decimal('on_hand', 24, 6).notNullable();
    t.string('unit', 3).notNullable();
    t.bigInteger('version').notNullable().comment('number of events applied to this row');
    time(t, 'level_as_of').comment('occurredAt of the last level applied: the barrier for older movements');
    time(t, 'last_event_at').notNullable().comment('occurredAt of the last event applied');
    t.string('last_event_id', 64).notNullable();
    t.boolean('negative').notNullable();
    time(t, 'updated_at').notNullable().comment('when the materializer last wrote the row');
    t.primary(['sku', 'location']);
    t.index(['location']);
  });

  await knex.schema.createTable('stock_totals', (t) => {
    t.string('sku', 40).primary();
    totalsColumns(t);
  });

  await knex.schema.createTable('stock_totals_by_region', (t) => {
    t.string('sku', 40).notNullable();
    t.string('region', 40).notNullable();
    totalsColumns(t);
    t.primary(['sku', 'region']);
    t.index(['region']);
  });

  await knex.schema.createTable('stock_totals_by_kind', (t) => {
    t.string('sku', 40).notNullable();
    t.string('location_kind', 24).notNullable();
    totalsColumns(t);
    t.primary(['sku', 'location_kind']);
    t.index(['location_kind']);
  });

  await knex.schema.createTable('stock_source_sequences', (t) => {
    t.string('sku', 40).notNullable();
    t.string('location', 20).notNullable();
    t.string('source_system', 60).notNullable();
    t.text('last_sequence').notNullable().comment('highest source.sequence applied for this key and system');
    t.text('last_ids').notNullable().comment('ids of the events applied at that sequence, space separated');
    time(t, 'updated_at').notNullable();
    t.primary(['sku', 'location', 'source_system']);
  });

  await knex.schema.createTable('stock_rejected_events', (t) => {
    t.increments('id').primary();
    t.string('group_id', 200).notNullable();
    t.string('topic', 249).notNullable();
    t.integer('kafka_partition').notNullable();
    t.bigInteger('kafka_offset').notNullable();
    t.text('message_key');
    t.string('event_id', 64);
    t.text('reason').notNullable();
    t.text('message_value');
    t.text('message_headers').notNullable().comment('JSON object of the Kafka headers');
    time(t, 'rejected_at').notNullable();
    t.unique(['group_id', 'topic', 'kafka_partition', 'kafka_offset']);
  });

  await knex.schema.createTable('materializer_positions', (t) => {
    t.string('group_id', 200).notNullable();
    t.string('topic', 249).notNullable();
    t.integer('kafka_partition').notNullable();
    t.bigInteger('next_offset').notNullable().comment('first offset not applied yet');
    t.bigInteger('published_offset')
      .notNullable()
      .comment('first offset whose rows may not be on the stock topic yet');
    time(t, 'updated_at').notNullable();
    t.primary(['group_id', 'topic', 'kafka_partition']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'materializer_positions',
    'stock_rejected_events',
    'stock_source_sequences',
    'stock_totals_by_kind',
    'stock_totals_by_region',
    'stock_totals',
    'stock',
    'item_barcodes',
    'items',
    'locations',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
