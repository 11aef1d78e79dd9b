import { expect } from 'chai';
import { StocklineError } from '../../errors.js';
import { hanaError } from '../../../test/support/hana-fake.js';
import { SapSourceError } from '../errors.js';
import { hanaFailure, type HanaErrorContext } from './errors.js';

const WHERE: HanaErrorContext = {
  driver: 'hana',
  database: 'hana.example:30015',
  user: 'STOCKLINE_CAPTURE',
  call: 'prepare',
  sql: 'SELECT "CPUDT_MKPF" FROM "SAPABAP1"."MATDOC"',
  table: 'SAPABAP1.MATDOC',
};

describe('HANA error mapping (src/sap/hana/errors.ts)', () => {
  // [driver code, SQLSTATE, driver message, retriable, words the message must hold]
  const cases: Array<[number, string, string, boolean, string[]]> = [
    [
      -10709,
      'HY000',
      "Connection failed (RTE:[89006] System call 'connect' failed, rc=111)",
      true,
      ['the connection failed'],
    ],
    [
      -10807,
      'HY000',
      'Connection lost (RTE:[89008] Socket closed by peer)',
      true,
      ['the connection was lost'],
    ],
    [-10821, 'HY000', 'Session not connected', true, ['not connected']],
    [-10760, 'HY000', 'Some other communication failure', true, ['the connection failed']],
    [131, 'HY000', 'transaction rolled back by lock wait timeout', true, ['lock wait timeout']],
    [133, '40001', 'transaction rolled back by detected deadlock', true, ['deadlock']],
    [613, 'HY000', 'execution aborted by timeout', true, ['aborted by a timeout']],
    [
      10,
      '28000',
      'authentication failed',
      false,
      ['authentication of STOCKLINE_CAPTURE failed', 'STOCKLINE__SAP__PASSWORD_FILE'],
    ],
    [416, 'HY000', 'user is locked; try again later', false, ['STOCKLINE_CAPTURE is locked']],
    [
      258,
      '42000',
      'insufficient privilege: Detailed info ... guid 1A2B',
      false,
      ['lacks a privilege on SAPABAP1.MATDOC', 'grant it SELECT'],
    ],
    [
      259,
      'HY000',
      'invalid table name:  Could not find table/view MATDOC in schema SAPABAP1: line 1 col 31',
      false,
      ['SAPABAP1.MATDOC does not exist', 'sap.schema'],
    ],
    [
      260,
      'HY000',
      'invalid column name: CPUDT_MKPF: line 1 col 8 (at pos 7)',
      false,
      ['SAPABAP1.MATDOC has no column CPUDT_MKPF'],
    ],
    [
      362,
      'HY000',
      'invalid schema name: SAPABAP9: line 1 col 20',
      false,
      ['the schema does not exist', 'sap.schema'],
    ],
    [257, '42000', 'sql syntax error: incorrect syntax near "LIMIT"', false, ['a bug in the adapter']],
  ];
  for (const [code, sqlState, message, retriable, words] of cases) {
    it(`${code} (${sqlState}): ${retriable ? 'retriable' : 'not retriable'}`, () => {
      const error = hanaFailure(hanaError(code, message, sqlState), WHERE);
      expect(error).to.be.instanceOf(StocklineError);
      expect(error.retriable).to.equal(retriable);
      expect(error).to.be.instanceOf(SapSourceError);
      expect(error.code).to.equal('STOCKLINE_SAP_FAILED');
      expect(error.context.driver).to.equal('hana');
      for (const word of words) expect(error.message).to.contain(word);
      expect(error.message).to.contain(message);
      expect(error.message).to.contain(`[${code}, SQLSTATE ${sqlState}]`);
      expect(error.context).to.include({ ...WHERE, reasonCode: code, sqlState });
      expect(error.cause).to.be.instanceOf(Error);
    });
  }

  it('an invalid column names the column in the context', () => {
    const error = hanaFailure(
      hanaError(260, 'invalid column name: "MATDOC"."LBBSA_SID": line 1 col 8'),
      WHERE,
    );
    expect(error.context.columnName).to.equal('LBBSA_SID');
  });

  it('an unknown code is not retriable unless its SQLSTATE is a connection (08) or rollback (40) class', () => {
    expect(hanaFailure(hanaError(2048, 'column store error'), WHERE).retriable).to.equal(false);
    expect(hanaFailure(hanaError(9999, 'link failure', '08S01'), WHERE).retriable).to.equal(true);
    expect(hanaFailure(hanaError(9998, 'serialization', '40001'), WHERE).retriable).to.equal(true);
  });

  it('a code given as text counts like a number; an error without code is not retriable', () => {
    const textual = Object.assign(new Error('Connection lost'), { code: '-10807' });
    expect(hanaFailure(textual, WHERE).retriable).to.equal(true);
    const plain = hanaFailure(new Error('Invalid parameter'), WHERE);
    expect(plain.retriable).to.equal(false);
    expect(plain.message).to.equal(
      'SAP HANA prepare on hana.example:30015 (SAPABAP1.MATDOC) failed: Invalid parameter',
    );
  });

  it('a StocklineError passes through unchanged (mapped once)', () => {
    const first = hanaFailure(hanaError(-10807, 'Connection lost'), WHERE);
    expect(hanaFailure(first, { ...WHERE, call: 'next' })).to.equal(first);
  });
});
