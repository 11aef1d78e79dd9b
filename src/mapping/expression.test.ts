import { expect } from 'chai';
import { compileValue, ExpressionError, parseTemplate } from './expression.js';
import { Lookups } from './lookups.js';

const lookups = new Lookups([
  {
    name: 'plants',
    file: 'plants.csv',
    columns: ['WERKS', 'location'],
    rows: [{ WERKS: '1000', location: 'DC01' }],
    lines: [2],
  },
]);
const compile = (spec: Parameters<typeof compileValue>[0], exactDecimals = false) =>
  compileValue(spec, { lookups, exactDecimals });

describe('mapping values', () => {
  it('compile a plain path to a direct accessor, not the interpreter', () => {
    const v = compile('${after.sku}');
    expect(v.origin).to.equal('path');
    expect(v.evaluate({ after: { sku: '100200' } })).to.equal('100200');
    expect(v.evaluate({ after: null })).to.equal(undefined);
    expect(compile('${record.`WM-SKU`}').evaluate({ record: { 'WM-SKU': 'x' } })).to.equal('x');
  });

  it('keep text without ${} as a constant, and $${ as a literal ${', () => {
    expect(compile('sale')).to.include({ origin: 'constant' });
    expect(compile('sale').evaluate({})).to.equal('sale');
    expect(compile('cost $${x}').evaluate({})).to.equal('cost ${x}');
  });

  it('join text and expressions in a template', async () => {
    const v = compile('${after.store}-${$stripZeros(after.n)}');
    expect(v.origin).to.equal('template');
    expect(await v.evaluate({ after: { store: 'S', n: '007' } })).to.equal('S-7');
  });

  it('evaluate JSONata with the decimal, time and lookup functions', async () => {
    expect(await compile('${$dneg(q)}', true).evaluate({ q: '2.500' })).to.equal('-2.500');
    expect(await compile("${$lookup('plants', {'WERKS': w}, 'location')}").evaluate({ w: '1000' })).to.equal(
      'DC01',
    );
  });

  it('compile a lookup value once and report a missing key as a mapping error', () => {
    const v = compile({ lookup: 'plants', key: { WERKS: '${w}' } });
    expect(v.evaluate({ w: '1000' })).to.equal('DC01');
    expect(() => v.evaluate({ w: '9' })).to.throw('lookup table "plants" has no row with WERKS="9"');
  });

  it('refuse function definitions, $eval, and floating-point arithmetic on quantities', () => {
    expect(() => compile('${function($x){$x}(1)}')).to.throw(
      ExpressionError,
      'function definitions are not allowed',
    );
    expect(() => compile('${$eval("1")}')).to.throw(ExpressionError, '$eval is not allowed');
    expect(() => compile('${a + b}', true)).to.throw(
      ExpressionError,
      'binary floating-point arithmetic; use $dadd',
    );
    expect(() => compile('${-a}', true)).to.throw(ExpressionError, '$dneg');
    expect(compile('${a + 1}').origin).to.equal('expression');
  });

  it('say where an expression does not parse', () => {
    try {
      compile('x ${after.(}');
      expect.fail('should not compile');
    } catch (e) {
      expect(e).to.be.instanceOf(ExpressionError);
      expect((e as ExpressionError).message).to.match(/does not parse/);
      expect((e as ExpressionError).offset)
        .to.be.a('number')
        .at.least(4);
    }
  });

  it('refuse a lookup of a table or column that does not exist', () => {
    expect(() => compile({ lookup: 'nope', key: { a: 'x' } })).to.throw(
      'lookup table "nope" does not exist; tables: plants',
    );
    expect(() => compile({ lookup: 'plants', key: { LGORT: 'x' } })).to.throw('has no column LGORT');
  });

  it('parse templates with braces and quotes inside expressions', () => {
    expect(parseTemplate("a${ {'k': '}'}.k }b")).to.deep.equal([
      { literal: 'a', offset: 0 },
      { expression: "{'k': '}'}.k", offset: 3 },
      { literal: 'b', offset: 18 },
    ]);
    expect(() => parseTemplate('${x')).to.throw('never closed');
  });
});
