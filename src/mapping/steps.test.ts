import { expect } from 'chai';
import { drive, type Steps } from './steps.js';

function* work(values: unknown[], seen: unknown[]): Steps<string> {
  for (const v of values) {
    try {
      seen.push(yield v);
    } catch (e) {
      seen.push(`caught ${(e as Error).message}`);
    }
  }
  return seen.join(',');
}

describe('steps: synchronous until a promise', () => {
  it('runs synchronously while no value is a promise', () => {
    const seen: unknown[] = [];
    expect(drive(work([1, 2, 3], seen))).to.equal('1,2,3');
  });

  it('goes on asynchronously from the first promise, in order, rejections thrown where they were awaited', async () => {
    const seen: unknown[] = [];
    const result = drive(work([1, Promise.resolve(2), 3, Promise.reject(new Error('no')), 5], seen));
    expect(result).to.be.instanceOf(Promise);
    expect(seen).to.deep.equal([1]);
    expect(await result).to.equal('1,2,3,caught no,5');
  });

  it('rejects with what the work throws after a promise, and throws what it throws before one', async () => {
    function* failing(before: boolean): Steps<never> {
      if (!before) yield Promise.resolve(1);
      throw new Error('failed');
    }
    expect(() => drive(failing(true))).to.throw('failed');
    const result = drive(failing(false));
    expect(result).to.be.instanceOf(Promise);
    let error: unknown;
    await Promise.resolve(result).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('failed');
  });
});
