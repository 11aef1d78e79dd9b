import { expect } from 'chai';
import jsonata from 'jsonata';
import { decimalFunctions } from './decimal-functions.js';
import { compileNative } from './native-expression.js';
import { textFunctions, timeFunctions } from './time-functions.js';

const expressions = [
  'after.sku',
  "op in ['c', 'r']",
  "op != 'd'",
  "op = 'u' and before.status = 'shipped'",
  "after.status = 'received' and (op in ['c', 'r'] or before.status = 'shipped')",
  "after.SHKZG = 'H' ? -1 : 1",
  "$dcmp(after.quantity, '0') < 0 ? 'return' : 'sale'",
  '$dneg(after.quantity)',
  "record.`WM-WAREHOUSE-ID` & ':' & record.`WM-SEQ-NO`",
  'after.flag ? after.sku',
  'missing.deep.path',
  "n > 2 or s >= 'b'",
  'true and null',
  "$stripZeros(after.MATNR) & '-' & n",
  '$fromMillis(source.ts_ms)',
];

const contexts = [
  {
    op: 'c',
    after: { sku: '1', status: 'received', SHKZG: 'H', quantity: '-2.5', MATNR: '0001', flag: '' },
    before: null,
    n: 3,
    s: 'a',
    source: { ts_ms: 1795598005925 },
  },
  {
    op: 'u',
    after: { sku: '2', status: 'received', SHKZG: 'S', quantity: '4', MATNR: '42', flag: 'x' },
    before: { status: 'shipped' },
    n: 1,
    s: 'c',
    source: { ts_ms: 0 },
  },
  {
    op: 'd',
    before: { status: 'received' },
    after: null,
    record: { 'WM-WAREHOUSE-ID': 'WH0001', 'WM-SEQ-NO': '000000001001' },
    n: 2,
    s: 'b',
    source: {},
  },
];

describe('native expressions', () => {
  for (const expression of expressions) {
    it(`${expression} gives what JSONata gives`, async () => {
      const interpreted = jsonata(expression);
      for (const [name, fn] of Object.entries({ ...decimalFunctions, ...timeFunctions, ...textFunctions })) {
        interpreted.registerFunction(name, fn as (...args: unknown[]) => unknown);
      }
      const native = compileNative(interpreted.ast() as never);
      expect(native, 'compiles natively').to.be.a('function');
      for (const context of contexts) {
        let expected: unknown;
        let expectedError: string | undefined;
        try {
          expected = (await interpreted.evaluate(context)) as unknown;
        } catch (e) {
          expectedError = (e as Error).message;
        }
        if (expectedError !== undefined) {
          expect(() => native!(context), `${JSON.stringify(context)}`).to.throw();
          continue;
        }
        expect(native!(context), `${expression} on ${JSON.stringify(context)}`).to.deep.equal(expected);
      }
    });
  }

  it('leaves what it does not know to the interpreter', () => {
    for (const expression of ['$sum(items.q)', 'a.b[0]', '$count(x)', 'a + 1', '{"k": a}']) {
      expect(compileNative(jsonata(expression).ast() as never), expression).to.equal(undefined);
    }
  });
});
