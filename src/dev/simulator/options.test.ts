import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../errors.js';
import { ExpectationFileError } from './errors.js';
import {
  readExpectation,
  writeExpectation,
  EXPECTATION_FORMAT,
  type Expectation,
} from './expectation-file.js';
import { parseDuration, parseSimulateFlags } from './options.js';

describe('simulator: command line', () => {
  it('fills in every default and keeps what was given', () => {
    const o = parseSimulateFlags({ events: '500', seed: '7', runId: 'ab12c' });
    expect(o).to.deep.equal({
      events: 500,
      rate: 1000,
      seed: 7,
      runId: 'AB12C',
      stores: 6,
      warehouses: 2,
      items: 500,
      countFreezeSeconds: 10,
      sapLateShare: 0.02,
      sapMaxHoldSeconds: 5,
    });
  });

  it("takes SAP's late commits: a share from 0 to 1 and the longest hold as a duration", () => {
    const o = parseSimulateFlags({ events: '5', sapLateShare: '0.1', sapMaxHold: '90s' });
    expect([o.sapLateShare, o.sapMaxHoldSeconds]).to.deep.equal([0.1, 90]);
    expect(parseSimulateFlags({ events: '5', sapLateShare: '0' }).sapLateShare).to.equal(0);
    expect(() => parseSimulateFlags({ events: '5', sapLateShare: '1.5' })).to.throw(
      UsageError,
      '--sap-late-share',
    );
    expect(() => parseSimulateFlags({ events: '5', sapMaxHold: 'soon' })).to.throw(
      UsageError,
      '--sap-max-hold "soon"',
    );
    expect(() => parseSimulateFlags({ events: '5', sapMaxHold: '100ms' })).to.throw(
      UsageError,
      'at least 0.5 s',
    );
  });

  it('a fresh seed and run id when none is given', () => {
    const a = parseSimulateFlags({ events: '1' });
    const b = parseSimulateFlags({ events: '1' });
    expect(a.runId).to.match(/^[0-9A-Z]{5}$/);
    expect([a.runId, a.seed]).to.not.deep.equal([b.runId, b.seed]);
  });

  it('durations: 90, 90s, 1500ms, 2m, 1.5h', () => {
    expect([
      parseDuration('90'),
      parseDuration('90s'),
      parseDuration('1500ms'),
      parseDuration('2m'),
      parseDuration('1.5h'),
    ]).to.deep.equal([90_000, 90_000, 1500, 120_000, 5_400_000]);
  });

  for (const [flags, message] of [
    [{}, 'either --events N or --duration D'],
    [{ events: '1', duration: '1m' }, 'either --events N or --duration D'],
    [{ events: 'many' }, '--events must be a whole number'],
    [{ duration: 'soon' }, '--duration "soon" is not a duration'],
    [{ events: '1', rate: '0' }, '--rate must be a number from 0.1'],
    [{ events: '1', warehouses: '3' }, '--warehouses must be a whole number from 1 to 2'],
    [{ events: '1', items: '100000' }, '--items must be a whole number from 1 to 99999'],
    [{ events: '1', runId: 'TOO-LONG' }, 'must be five letters or digits'],
    [{ events: '1', countFreeze: '1' }, '--count-freeze must be a number from 2'],
  ] as const) {
    it(`refuses ${JSON.stringify(flags)}: ${message}`, () => {
      expect(() => parseSimulateFlags(flags)).to.throw(UsageError, message);
    });
  }
});

describe('simulator: expectation file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stockline-expect-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const expectation: Expectation = {
    format: EXPECTATION_FORMAT,
    runId: 'AB12C',
    skuPrefix: 'SAB12C-',
    options: { seed: 1, rate: 100, events: 10, stores: 6, warehouses: 2, items: 5, countFreezeSeconds: 10 },
    run: {
      startedAt: '2026-11-20T08:00:00.000000Z',
      finishedAt: '2026-11-20T08:00:00.100000Z',
      elapsedSeconds: 0.1,
      events: 10,
      achievedRate: 100,
      outcome: 'complete',
      inTransit: 0,
    },
    counts: { 'store-pg': { sale_lines: { inserted: 10, updated: 0 } } },
    stock: { 'SAB12C-00001@S001': { quantity: '-10', unit: 'EA' } },
  };

  it('reads back what was written', () => {
    const file = path.join(dir, 'nested', 'a.expected.json');
    writeExpectation(file, expectation);
    expect(readExpectation(file)).to.deep.equal(expectation);
  });

  it('refuses a missing file, a file that is not JSON, and JSON of another shape, naming the file', () => {
    expect(() => readExpectation(path.join(dir, 'none.json'))).to.throw(ExpectationFileError, 'cannot read');
    writeFileSync(path.join(dir, 'bad.json'), '{');
    expect(() => readExpectation(path.join(dir, 'bad.json'))).to.throw(ExpectationFileError, 'is not JSON');
    writeFileSync(
      path.join(dir, 'other.json'),
      JSON.stringify({ ...expectation, stock: { k: { quantity: '1e3', unit: 'EA' } } }),
    );
    expect(() => readExpectation(path.join(dir, 'other.json'))).to.throw(
      ExpectationFileError,
      '/stock/k/quantity',
    );
  });
});
