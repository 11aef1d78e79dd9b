import { expect } from 'chai';
import { ConfigError, RemoteError, StocklineError, UnrecoverableError } from './errors.js';

describe('errors', () => {
  it('take their name from their class and keep code, retriable and context', () => {
    const error = new ConfigError('bad', { file: 'config/x.yaml', line: 3 });
    expect(error.name).to.equal('ConfigError');
    expect(error.code).to.equal('STOCKLINE_CONFIG_INVALID');
    expect(error.retriable).to.equal(false);
    expect(error.context).to.deep.equal({ file: 'config/x.yaml', line: 3 });
    expect(new UnrecoverableError('x', { code: 'STOCKLINE_MAPPING_FAILED' }))
      .to.be.instanceOf(StocklineError)
      .and.include({ retriable: false });
  });

  it("take the code's default retriable from the catalogue unless the raiser decides", () => {
    expect(new RemoteError('x', {}).retriable).to.equal(true);
    expect(new RemoteError('x', {}, { retriable: false }).retriable).to.equal(false);
    expect(new StocklineError('x', { code: 'STOCKLINE_REMOTE_FAILED' }).retriable).to.equal(true);
    expect(new StocklineError('x', { code: 'STOCKLINE_USAGE' }).retriable).to.equal(false);
  });
});
