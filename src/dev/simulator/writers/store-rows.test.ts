import { expect } from 'chai';
import { chunks, roundsOfDistinctKeys } from './store-rows.js';

describe('simulator: store statements', () => {
  it("rounds of distinct keys keep each key's order and put no key twice in a round", () => {
    const rows = ['a1', 'b1', 'a2', 'c1', 'a3', 'b2'].map((id) => ({ key: id[0]!, id }));
    expect(roundsOfDistinctKeys(rows, (r) => r.key).map((round) => round.map((r) => r.id))).to.deep.equal([
      ['a1', 'b1', 'c1'],
      ['a2', 'b2'],
      ['a3'],
    ]);
  });

  it('chunks keep the bound values of a statement under the limit', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ a: i, b: i, c: i }));
    const parts = chunks(rows, 300);
    expect(parts.map((p) => p.length)).to.deep.equal(Array(10).fill(100));
    expect(parts.flat()).to.deep.equal(rows);
  });
});
