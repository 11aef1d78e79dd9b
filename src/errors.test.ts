import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, RemoteError, StocklineError, UnrecoverableError } from './errors.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('errors', () => {
  it('take their name from their class and keep code, retriable and context', () => {
    const error = new ConfigError('bad', { file: 'config/x.yaml', line: 3 });
    expect(error.name).to.equal('ConfigError');
    expect(error.code).to.equal('STOCKLINE_CONFIG_INVALID');
    expect(error.retriable).to.equal(false);
    expect(error.context).to.deep.equal({ file: 'config/x.yaml', line: 3 });
    expect(new RemoteError('x', {}).retriable).to.equal(true);
    expect(new UnrecoverableError('x', { code: 'C' }))
      .to.be.instanceOf(StocklineError)
      .and.include({ retriable: false });
  });

  it('every code raised in src/ is in the catalogue docs/errors.md, and the catalogue lists no other', () => {
    const raised = new Set(
      sourceFiles('src').flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/code: '(STOCKLINE_[A-Z_]+)'/g)].map((m) => m[1]!),
      ),
    );
    const catalogued = new Set(
      [...readFileSync('docs/errors.md', 'utf8').matchAll(/^\| `(STOCKLINE_[A-Z_]+)`/gm)].map((m) => m[1]!),
    );
    expect([...raised].sort()).to.deep.equal([...catalogued].sort());
  });
});
