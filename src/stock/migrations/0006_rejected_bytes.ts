import type { Knex } from 'knex';

/**
 * A rejected message is kept byte for byte. Anything can be written to the canonical topic, and
 * PostgreSQL `text` cannot hold a 0x00 byte or bytes that are not UTF-8: such a key or value
 * goes to the bytea column beside its text column (which stays null), and when a header value
 * is not UTF-8, every header value in message_headers is base64 and message_headers_base64 says
 * so. Before, one such message failed the batch's statement for good and stopped the role.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stock_rejected_events', (t) => {
    t.binary('message_key_bytes').comment(
      'the key, when it is not text (0x00 or not UTF-8); message_key is then null',
    );
    t.binary('message_value_bytes').comment(
      'the value, when it is not text (0x00 or not UTF-8); message_value is then null',
    );
    t.boolean('message_headers_base64')
      .notNullable()
      .defaultTo(false)
      .comment('true: the header values in message_headers are base64 (some were not UTF-8)');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stock_rejected_events', (t) => {
    t.dropColumn('message_key_bytes');
    t.dropColumn('message_value_bytes');
    t.dropColumn('message_headers_base64');
  });
}
