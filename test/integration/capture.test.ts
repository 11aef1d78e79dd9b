import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import pg from 'pg';
import { ConnectClient } from '../../src/connectors/connect-client.js';
import { loadConnectorFiles } from '../../src/connectors/connector-file.js';
import { connectorEnvironment } from '../../src/connectors/environment.js';
import { waitRunning } from '../../src/connectors/operations.js';
import { localStackPlaceholders } from '../../src/dev/stack/connector-defaults.js';
import { ean13 } from '../../src/dev/samples/sample-data.js';
import { connectStoreMariadb, connectStorePostgres, createScratchDatabase } from '../support/databases.js';
import { collectChanges, type ChangeEvent } from '../support/kafka.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

/** A SKU no other test run uses, so each run reads only its own events. */
function uniqueItem() {
  const n = randomInt(10_000_000, 99_999_999);
  return { sku: `T${n}`, barcode: ean13(`2${String(n).padStart(11, '0')}`) };
}

const ops = (events: ChangeEvent[]) => events.map((e) => e.value?.op ?? 'tombstone');

describe('capture: Debezium change events from the stack databases (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;

  before(async () => {
    env = await ensureStack();
  });

  describe('store PostgreSQL', () => {
    let client: pg.Client;
    before(async () => {
      client = await connectStorePostgres(env, 'store');
    });
    after(() => client.end());

    it('emits create, update (with the full before-image), delete and tombstone for a level row, with LSN positions', async () => {
      const { sku, barcode } = uniqueItem();
      const changes = collectChanges(
        env.config.kafka.brokers,
        'store-pg.public.stock_on_hand',
        (e) => e.key?.sku === sku,
        4,
      );
      await client.query('INSERT INTO items (sku, barcode, description, unit) VALUES ($1, $2, $3, $4)', [
        sku,
        barcode,
        'Test item',
        'KG',
      ]);
      await client.query(
        "INSERT INTO stock_on_hand (location_id, sku, quantity, unit) VALUES ('S001', $1, 10.125, 'KG')",
        [sku],
      );
      await client.query(
        "UPDATE stock_on_hand SET quantity = 7.5, updated_at = now() WHERE location_id = 'S001' AND sku = $1",
        [sku],
      );
      await client.query("DELETE FROM stock_on_hand WHERE location_id = 'S001' AND sku = $1", [sku]);

      const events = await changes;
      expect(ops(events)).to.deep.equal(['c', 'u', 'd', 'tombstone']);
      const [created, updated, deleted] = events.map((e) => e.value!);
      expect(events[0]!.key).to.deep.equal({ location_id: 'S001', sku });
      expect(created!.before).to.equal(null);
      expect(created!.after).to.include({ location_id: 'S001', sku, quantity: '10.125', unit: 'KG' });
      expect(updated!.before).to.include({ quantity: '10.125' });
      expect(updated!.after).to.include({ quantity: '7.500' });
      expect(deleted!.before).to.include({ quantity: '7.500' });
      expect(deleted!.after).to.equal(null);
      for (const e of [created!, updated!, deleted!]) {
        expect(e.source).to.include({
          connector: 'postgresql',
          name: 'store-pg',
          db: 'store',
          schema: 'public',
          table: 'stock_on_hand',
        });
        expect(e.source.lsn).to.be.a('number');
        expect(JSON.parse(e.source.sequence as string)).to.have.length(2);
      }
      const lsns = [created!, updated!, deleted!].map((e) => e.source.lsn as number);
      expect(lsns).to.deep.equal([...lsns].sort((a, b) => a - b));
      expect(new Set(events.map((e) => e.record.partition)).size, 'one key, one partition').to.equal(1);
    });

    it('emits a sale line with its quantity as an exact decimal string', async () => {
      const saleId = randomInt(100_000_000, 999_999_999);
      const { rows } = await client.query<{ sale_line_id: string }>(
        "INSERT INTO sale_lines (sale_id, line_no, location_id, sku, quantity, unit, unit_price, sold_at) VALUES ($1, 1, 'S002', '100200', 3, 'EA', 1.19, now()) RETURNING sale_line_id",
        [saleId],
      );
      const id = Number(rows[0]!.sale_line_id);
      const [event] = await collectChanges(
        env.config.kafka.brokers,
        'store-pg.public.sale_lines',
        (e) => e.key?.sale_line_id === id,
        1,
      );
      expect(event!.value!.op).to.equal('c');
      expect(event!.value!.after).to.include({
        sale_id: saleId,
        quantity: '3.000',
        unit_price: '1.19',
        location_id: 'S002',
      });
    });
  });

  describe('store MariaDB', () => {
    let connection: mysql.Connection;
    before(async () => {
      connection = await connectStoreMariadb(env);
    });
    after(() => connection.end());

    it('emits create, update, delete and tombstone with binlog file, position and row', async () => {
      const { sku, barcode } = uniqueItem();
      const changes = collectChanges(
        env.config.kafka.brokers,
        'store-maria.store.stock_on_hand',
        (e) => e.key?.sku === sku,
        4,
      );
      await connection.execute('INSERT INTO items (sku, barcode, description, unit) VALUES (?, ?, ?, ?)', [
        sku,
        barcode,
        'Test item',
        'EA',
      ]);
      await connection.execute(
        "INSERT INTO stock_on_hand (location_id, sku, quantity, unit) VALUES ('S101', ?, 40, 'EA')",
        [sku],
      );
      await connection.execute(
        "UPDATE stock_on_hand SET quantity = 38 WHERE location_id = 'S101' AND sku = ?",
        [sku],
      );
      await connection.execute("DELETE FROM stock_on_hand WHERE location_id = 'S101' AND sku = ?", [sku]);

      const events = await changes;
      expect(ops(events)).to.deep.equal(['c', 'u', 'd', 'tombstone']);
      const [created, updated, deleted] = events.map((e) => e.value!);
      expect(events[0]!.key).to.deep.equal({ location_id: 'S101', sku });
      expect(created!.after).to.include({ quantity: '40.000', unit: 'EA' });
      expect(updated!.before).to.include({ quantity: '40.000' });
      expect(updated!.after).to.include({ quantity: '38.000' });
      expect(deleted!.before).to.include({ quantity: '38.000' });
      expect(deleted!.after).to.equal(null);
      const positions = [created!, updated!, deleted!].map((e) => {
        expect(e.source).to.include({
          connector: 'mariadb',
          name: 'store-maria',
          db: 'store',
          table: 'stock_on_hand',
        });
        expect(e.source.file).to.match(/^binlog\.\d+$/);
        expect(e.source.pos).to.be.a('number').above(0);
        expect(e.source.row).to.be.a('number');
        return `${e.source.file as string}:${String(e.source.pos).padStart(12, '0')}`;
      });
      expect(positions).to.deep.equal([...positions].sort());
    });
  });

  describe('SAP stand-in (PostgreSQL with the MATDOC shape; MARD a view over it)', () => {
    // A stand-in and a copy of the shipped sap-standin connector of the test's own: this
    // checkout's schema, whatever the shared stack's "sap" database holds, and a topic no
    // other run writes.
    const id = randomBytes(4).toString('hex');
    const database = `sap_cap_${id}`;
    const connector = `sap-standin-test-${id}`;
    const topic = `saptest${id}.sapabap1.MATDOC`;
    let connect: ConnectClient;
    let dropDatabase: (() => Promise<void>) | undefined;
    let client: pg.Client;
    const pgUser = (user: 'stockline_app' | 'debezium', db: string) =>
      new pg.Client({
        host: '127.0.0.1',
        port: env.config.stack.postgres.port,
        user,
        password:
          user === 'debezium' ? env.secrets.STORE_PG_DEBEZIUM_PASSWORD : env.secrets.STORE_PG_APP_PASSWORD,
        database: db,
      });

    before(async () => {
      dropDatabase = await createScratchDatabase(env, database);
      client = pgUser('stockline_app', database);
      await client.connect();
      await client.query(readFileSync('connectors/seed/sap-standin.sql', 'utf8'));
      const [shipped] = loadConnectorFiles(
        env.config.connect.connectorsDir,
        connectorEnvironment(localStackPlaceholders(env.config)),
        ['sap-standin'],
      );
      connect = new ConnectClient(env.config.connect.url, env.config.connect.requestTimeoutMs);
      await connect.putConfig(connector, {
        ...shipped!.config,
        'database.dbname': database,
        'slot.name': `stockline_sap_${id}`,
        'topic.prefix': `saptest${id}`,
      });
      await waitRunning(connect, [connector], 120_000);
    });
    after(async () => {
      await connect?.remove(connector).catch(() => undefined);
      await client?.end();
      // The connector's replication slot outlives it and would keep the database from being dropped.
      const admin = pgUser('debezium', database);
      await admin.connect();
      try {
        for (let attempt = 0; attempt < 60; attempt++) {
          const { rows } = await admin.query<{ active: boolean }>(
            'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
            [`stockline_sap_${id}`],
          );
          if (rows.length === 0) break;
          if (!rows[0]!.active) {
            await admin.query('SELECT pg_drop_replication_slot($1)', [`stockline_sap_${id}`]);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      } finally {
        await admin.end();
      }
      await dropDatabase?.();
    });

    const insert = (c: pg.ClientBase, mblnr: string, time: string) =>
      c.query(
        `INSERT INTO sapabap1."MATDOC" ("MANDT","MBLNR","MJAHR","ZEILE","MATNR","WERKS","LGORT","LBBSA_SID","SOBKZ","BWART","SHKZG","MENGE","MEINS","ERFMG","ERFME","STOCK_QTY","BUDAT_MKPF","CPUDT_MKPF","CPUTM_MKPF","USNAM_MKPF")
         VALUES ('100', $1, '2026', '0001', '000000000000100200', '1100', '0001', '01', '', '101', 'S', 24, 'ST', 2, 'KAR', 24, '20261124', '20261125', $2, 'TEST')`,
        [mblnr, time],
      );
    const labst = async () =>
      (
        await client.query<{ LABST: string }>(
          `SELECT "LABST" FROM sapabap1."MARD" WHERE "MANDT" = '100' AND "MATNR" = '000000000000100200' AND "WERKS" = '1100' AND "LGORT" = '0001'`,
        )
      ).rows[0]?.LABST ?? '0';

    it('emits a goods movement (MATDOC insert) with stock type, posting date and signed stock quantity; MARD moves with it', async () => {
      const mblnr = String(randomInt(5_000_000_000, 5_999_999_999));
      const before = await labst();
      await insert(client, mblnr, '101500');
      const [movement] = await collectChanges(
        env.config.kafka.brokers,
        topic,
        (e) => e.key?.MBLNR === mblnr,
        1,
      );
      expect(movement!.value!.op).to.equal('c');
      expect(movement!.value!.after).to.include({
        MATNR: '000000000000100200',
        WERKS: '1100',
        LBBSA_SID: '01',
        SOBKZ: '',
        BWART: '101',
        SHKZG: 'S',
        MENGE: '24.000',
        ERFME: 'KAR',
        STOCK_QTY: '24.000',
        SMBLN: '',
        BUDAT_MKPF: '20261124',
      });
      // MARD is SAP's sum of MATDOC, not a table of its own: no change of it to capture.
      expect(Number(await labst()) - Number(before)).to.equal(24);
    });

    it('a late commit (entered first, committed last) reaches the raw topic after the document entered after it', async () => {
      const [early, later] = [
        randomInt(5_000_000_000, 5_999_999_999),
        randomInt(5_000_000_000, 5_999_999_999),
      ].map(String);
      const held = pgUser('stockline_app', database);
      await held.connect();
      try {
        await held.query('BEGIN');
        await insert(held, early!, '090000');
        await insert(client, later!, '090005');
        await held.query('COMMIT');
      } finally {
        await held.end();
      }
      const events = await collectChanges(
        env.config.kafka.brokers,
        topic,
        (e) => e.key?.MBLNR === early || e.key?.MBLNR === later,
        2,
      );
      // Debezium reads PostgreSQL's log in commit order: the stand-in hides what a capture by
      // entry time must handle (the SAP capture role's sweep), which is why it is being retired.
      expect(events.map((e) => [e.key?.MBLNR, e.value?.after?.CPUTM_MKPF])).to.deep.equal([
        [later, '090005'],
        [early, '090000'],
      ]);
    });
  });
});
