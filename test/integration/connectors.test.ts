import { randomInt } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { connectStorePostgres } from '../support/databases.js';
import { expectNoStackTrace, runCli } from '../support/cli.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

describe('connectors as code against the real Kafka Connect (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;

  before(async () => {
    env = await ensureStack();
  });

  it('apply is idempotent: a second apply leaves every connector unchanged, and diff finds no difference', async () => {
    const apply = await runCli(['connectors', 'apply']);
    expect(apply.code, apply.stderr).to.equal(0);
    expect(apply.stdout.match(/unchanged/g)).to.have.length(2);
    const diff = await runCli(['connectors', 'diff', 'store-postgres', 'store-mariadb']);
    expect(diff.code, diff.stdout + diff.stderr).to.equal(0);
    expect(diff.stdout).to.contain('store-postgres: same');
  });

  it('status shows every connector and task RUNNING', async () => {
    const { code, stdout } = await runCli(['connectors', 'status', '--json']);
    expect(code).to.equal(0);
    const statuses = JSON.parse(stdout) as {
      name: string;
      connector: { state: string };
      tasks: { state: string }[];
    }[];
    // SAP is captured by the sap-capture role, not a connector (connectors/sap-standin.yaml is retired).
    expect(statuses.map((s) => s.name).sort()).to.deep.equal(['store-mariadb', 'store-postgres']);
    for (const s of statuses) {
      expect(s.connector.state).to.equal('RUNNING');
      expect(s.tasks.map((t) => t.state)).to.deep.equal(['RUNNING']);
    }
  });

  it("reports Kafka Connect's own validation errors per field, with the file position", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stockline-connectors-'));
    const text = readFileSync('connectors/store-postgres.yaml', 'utf8').replace(
      'snapshot.mode: initial',
      'snapshot.mode: sometimes',
    );
    writeFileSync(path.join(dir, 'store-postgres.yaml'), text);
    const line = text.split('\n').findIndex((l) => l.includes('snapshot.mode')) + 1;
    const { code, stderr } = await runCli(['connectors', 'validate', '--dir', dir]);
    expect(code).to.equal(1);
    expect(stderr).to.match(
      new RegExp(`store-postgres\\.yaml:${line}:3: snapshot\\.mode: .*must be one of .*initial`),
    );
    expectNoStackTrace(stderr);
  });

  it('diff shows a changed key with secrets masked, without applying it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stockline-connectors-'));
    copyFileSync('connectors/store-postgres.yaml', path.join(dir, 'store-postgres.yaml'));
    const text = readFileSync(path.join(dir, 'store-postgres.yaml'), 'utf8').replace(
      'heartbeat.interval.ms: 10000',
      'heartbeat.interval.ms: 20000',
    );
    writeFileSync(path.join(dir, 'store-postgres.yaml'), text);
    const { code, stdout } = await runCli(['connectors', 'diff', '--dir', dir, 'store-postgres'], {
      STORE_PG_DEBEZIUM_PASSWORD: 'a-different-secret',
    });
    expect(code).to.equal(1);
    expect(stdout).to.contain('store-postgres: differs');
    expect(stdout).to.contain('heartbeat.interval.ms: deployed "10000" -> local "20000"');
    expect(stdout).to.contain('database.password: deployed "[redacted]" -> local "[redacted]"');
    expect(stdout).to.not.contain('a-different-secret');
  });

  it('restart does nothing when no task failed', async () => {
    const { code, stdout } = await runCli(['connectors', 'restart']);
    expect(code).to.equal(0);
    expect(stdout).to.contain('no failed connector or task');
  });

  it('tail shows the change event of a row just inserted in a store table', async () => {
    const client = await connectStorePostgres(env);
    const saleId = randomInt(100_000_000, 999_999_999);
    try {
      await client.query(
        "INSERT INTO sale_lines (sale_id, line_no, location_id, sku, quantity, unit, unit_price, sold_at) VALUES ($1, 1, 'S003', '100207', 1, 'EA', 2.49, now())",
        [saleId],
      );
    } finally {
      await client.end();
    }
    // Reads from the beginning and stops after 6 quiet seconds.
    const { code, stdout } = await runCli(['tail', 'store-pg.public.sale_lines', '--idle', '6']);
    expect(code).to.equal(0);
    const block = stdout.split('--- ').find((b) => b.includes(`"sale_id": ${saleId}`));
    expect(block, 'the inserted row in the tail output').to.be.a('string');
    expect(block).to.match(/^store-pg\.public\.sale_lines \[partition \d, offset \d+, /);
    expect(block).to.contain('"op": "c"');
    expect(block).to.contain('"quantity": "1.000"');
    expect(block).to.contain('__debezium.context.connectorLogicalName: store-pg');
  });
});
