import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { expectNoStackTrace, runCli } from '../support/cli.js';

/** A copy of the shipped mappings to break on purpose. */
function mappingsCopy(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'stockline-mappings-')), 'mappings');
  cpSync('mappings', dir, { recursive: true });
  return dir;
}

describe("stockline mappings (the integration team's commands)", function () {
  this.timeout(60000);

  it('test runs every shipped mapping test and reports a count', async () => {
    const { code, stdout } = await runCli(['mappings', 'test']);
    expect(code, stdout).to.equal(0);
    expect(stdout).to.match(/^\d+ passed, 0 failed$/m);
    expect(stdout).to.contain('✔ sap-matdoc: a goods receipt in cartons becomes pieces at the warehouse');
  });

  it('test fails with exit 1 and says what differs when a mapping is wrong', async () => {
    const dir = mappingsCopy();
    const file = path.join(dir, 'store-pg-goods-receipts.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('reason: receipt', 'reason: adjustment'));
    const { code, stdout } = await runCli(['mappings', 'test', dir]);
    expect(code).to.equal(1);
    expect(stdout).to.contain('✘ store-pg-goods-receipts: a receipt line adds its quantity');
    expect(stdout).to.contain('reason: expected "receipt", got "adjustment"');
    expect(stdout).to.match(/^\d+ passed, 1 failed$/m);
  });

  it('validate names the file, line and column of every problem at once', async () => {
    const dir = mappingsCopy();
    const file = path.join(dir, 'sap-matdoc.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('lookup: sap-plant-locations', 'lookup: sap-plants')
        .replace('${after.ERFMG}', '${after.ERFMG * 1}'),
    );
    writeFileSync(
      path.join(dir, 'broken.yaml'),
      'name: broken\nsource: {topic: x, format: avro}\nemit: []\n',
    );
    const { code, stderr } = await runCli(['mappings', 'validate', dir]);
    expect(code).to.equal(1);
    expect(stderr).to.match(
      /sap-matdoc\.yaml:\d+:5: emit\[0\]\.location: lookup table "sap-plants" does not exist; tables: .*sap-plant-locations/,
    );
    expect(stderr).to.match(
      /sap-matdoc\.yaml:\d+:5: emit\[0\]\.quantity: "\*" is binary floating-point arithmetic/,
    );
    expect(stderr).to.match(
      /broken\.yaml:2:20: source\.format must be one of debezium-json, json, fixed-width; got "avro"/,
    );
    expect(stderr).to.match(/broken\.yaml:3:1: emit must NOT have fewer than 1 items/);
    expectNoStackTrace(stderr);
  });

  it("explain shows each field's value and where it came from", async () => {
    const { code, stdout } = await runCli([
      'mappings',
      'explain',
      'mainframe-whmove',
      // A test of the mapping: its input carries the MQ headers the mapping identifies a record by.
      'whmove-2, an issue removes stock',
    ]);
    expect(code, stdout).to.equal(0);
    expect(stdout).to.match(/emit\[0\]\.quantity\s+= "7\.500"\s+<- path record\.`WM-QUANTITY`/);
    expect(stdout).to.match(/emit\[0\]\.sign\s+= "-1"\s+<- lookup whmove-move-codes/);
    expect(stdout).to.contain(
      '=> inventory.movement 4006381333931@W001 -7.500 EA goods_issue at 2026-11-20T08:16:40.000001+01:00',
    );
  });

  it('validate refuses a mapping that reads a topic stockline writes, and warns of two mappings emitting movements from one topic', async () => {
    const dir = mappingsCopy();
    const sales = readFileSync(path.join(dir, 'store-pg-sale-lines.yaml'), 'utf8');
    writeFileSync(
      path.join(dir, 'store-pg-sale-lines-copy.yaml'),
      sales.replace('name: store-pg-sale-lines', 'name: store-pg-sale-lines-copy'),
    );
    const warned = await runCli(['mappings', 'validate', dir]);
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stderr).to.match(
      /warning: .*store-pg-sale-lines\.yaml:7:3: source\.topic: emits movements from store-pg\.public\.sale_lines like mapping "store-pg-sale-lines-copy" \(.*store-pg-sale-lines-copy\.yaml\): a record both accept is counted twice unless their filters exclude each other/,
    );
    writeFileSync(
      path.join(dir, 'store-pg-sale-lines-copy.yaml'),
      sales
        .replace('name: store-pg-sale-lines', 'name: loop')
        .replace('topic: store-pg.public.sale_lines', 'topicPattern: inventory[.].*'),
    );
    const refused = await runCli(['mappings', 'validate', dir]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /store-pg-sale-lines-copy\.yaml:7:3: source\.topicPattern: reads inventory\.events\.v1, the canonical topic \(mapper\.canonicalTopic\)/,
    );
    expect(refused.stderr).to.contain('reads inventory.deadletter.v1, the dead-letter topic');
    expectNoStackTrace(refused.stderr);
  });
});
