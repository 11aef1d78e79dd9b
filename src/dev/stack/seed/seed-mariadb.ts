import { readFileSync } from 'node:fs';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import type { Logger } from '../../../observability/logger.js';
import type { StackSecrets } from '../secrets.js';
import { multiRowInsert } from '../../samples/insert.js';
import { storeSample } from '../../samples/sample-data.js';

const SEED_DIR = path.resolve('connectors/seed');

/**
 * Root's password, the application's and Debezium's users (Debezium needs replication and
 * binlog privileges), the store schema, and the sample rows the first time.
 */
export async function seedMariadb(
  connection: mysql.Connection,
  secrets: StackSecrets,
  log: Logger,
): Promise<void> {
  // Passwords are base64url (no quotes possible); user names are ours.
  await connection.query(
    [
      `ALTER USER 'root'@'localhost' IDENTIFIED BY '${secrets.STORE_MARIADB_ADMIN_PASSWORD}'`,
      `CREATE USER IF NOT EXISTS 'stockline_app'@'%' IDENTIFIED BY '${secrets.STORE_MARIADB_APP_PASSWORD}'`,
      `ALTER USER 'stockline_app'@'%' IDENTIFIED BY '${secrets.STORE_MARIADB_APP_PASSWORD}'`,
      `CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY '${secrets.STORE_MARIADB_DEBEZIUM_PASSWORD}'`,
      `ALTER USER 'debezium'@'%' IDENTIFIED BY '${secrets.STORE_MARIADB_DEBEZIUM_PASSWORD}'`,
      `GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'debezium'@'%'`,
      '',
    ].join(';\n'),
  );
  await connection.query(readFileSync(path.join(SEED_DIR, 'store-mariadb.sql'), 'utf8'));
  await connection.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON store.* TO 'stockline_app'@'%'`);
  const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM store.items');
  if (Number(rows[0]?.n) === 0) {
    const sample = storeSample('south', 3);
    await connection.beginTransaction();
    for (const [table, list] of [
      ['store.locations', sample.locations],
      ['store.items', sample.items],
      ['store.stock_on_hand', sample.stock],
      ['store.sale_lines', sample.sales],
      ['store.goods_receipts', sample.receipts],
      ['store.transfers', sample.transfers],
    ] as const) {
      const { sql, values } = multiRowInsert('mariadb', table, list);
      await connection.query(sql, values);
    }
    await connection.commit();
    log.info(
      { database: 'store', stock: sample.stock.length, sales: sample.sales.length },
      'store MariaDB seeded',
    );
  }
}
