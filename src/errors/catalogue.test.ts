import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import * as prettier from 'prettier';
import ts from 'typescript';
import type { StocklineError } from '../errors.js';
import {
  ConfigError,
  ConnectorConfigError,
  ProducerFencedError,
  RemoteError,
  StackError,
  UnrecoverableError,
  UsageError,
} from '../errors.js';
import { CanonicalMessageError } from '../canonical/errors.js';
import { MappingError, MappingFileError } from '../mapping/errors.js';
import { PositionMismatchError } from '../materializer/errors.js';
import { QueueBusyError, QueueTransportError } from '../mq/errors.js';
import { SapSchemaError, SapSourceError } from '../sap/errors.js';
import { CodePageError, CopybookError, LayoutError, RecordDecodeError } from '../sources/mainframe/errors.js';
import { stockDbError } from '../stock/errors.js';
import { ExpectationFileError, RecordEncodeError } from '../dev/simulator/errors.js';
import type { ERROR_CATALOGUE } from './catalogue.js';
import { ERROR_CODES, catalogueEntry, type ErrorCode } from './catalogue.js';
import { errorsReference } from './reference.js';

/**
 * One error of each code, made by the class that raises it. The type requires an entry for
 * every code of the catalogue: a function for a raised code, 'reserved' for a reserved one, so
 * a code added to the catalogue does not type-check here until its class is named.
 */
const RAISERS: {
  [C in ErrorCode]: (typeof ERROR_CATALOGUE)[C] extends { reserved: string }
    ? 'reserved'
    : () => StocklineError;
} = {
  STOCKLINE_CONFIG_INVALID: () => new ConfigError('x', {}),
  STOCKLINE_CONNECTOR_INVALID: () => new ConnectorConfigError('x', {}),
  STOCKLINE_USAGE: () => new UsageError('x'),
  STOCKLINE_STACK_FAILED: () => new StackError('x', {}),
  STOCKLINE_REMOTE_FAILED: () => new RemoteError('x', {}),
  STOCKLINE_PRODUCER_FENCED: () => new ProducerFencedError('x', {}),
  STOCKLINE_MQ_QUEUE_BUSY: () => new QueueBusyError('x', { transport: 'memory', queueManager: 'QM1' }),
  STOCKLINE_MQ_FAILED: () =>
    new QueueTransportError('x', { transport: 'memory', queueManager: 'QM1' }, { retriable: true }),
  STOCKLINE_SAP_FAILED: () => new SapSourceError('x', { driver: 'postgres' }, { retriable: true }),
  STOCKLINE_SAP_SCHEMA: () => new SapSchemaError('x', { table: 'MATDOC', columns: ['MBLNR'] }),
  STOCKLINE_CANONICAL_INVALID: () => new CanonicalMessageError('x'),
  STOCKLINE_MAPPING_INVALID: () => new MappingFileError('x', {}),
  STOCKLINE_MAPPING_FAILED: () => new MappingError('x', {}),
  STOCKLINE_COPYBOOK_INVALID: () => new CopybookError('a.cpy', 1, 'x'),
  STOCKLINE_LAYOUT_INVALID: () => new LayoutError('x', {}),
  STOCKLINE_CCSID_UNSUPPORTED: () => new CodePageError(1, [37]),
  STOCKLINE_RECORD_UNDECODABLE: () => new RecordDecodeError('x', {}),
  STOCKLINE_EXPECTED_INVALID: () => new ExpectationFileError('x', {}),
  STOCKLINE_RECORD_UNENCODABLE: () => new RecordEncodeError('x', {}),
  STOCKLINE_POSITION_MISMATCH: () => new PositionMismatchError('x', {}),
  // A driver error no retry heals: the default of the code.
  STOCKLINE_STOCKDB_FAILED: () => stockDbError('insert', new Error('value too long')),
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

/** The folder a file of src/ belongs to, as the catalogue names it: `dev/<tool>` under dev/. */
function folderOf(file: string): string {
  const parts = path.relative('src', file).split(path.sep);
  if (parts.length === 1) return '.';
  return parts[0] === 'dev' && parts.length > 2 ? `dev/${parts[1]}` : parts[0]!;
}

/**
 * For each class name, the folders of src/ that construct it (`new Name(...)`), read from the
 * syntax tree of each file (parsed, not type-checked: fast, and exact about what is a `new`).
 */
function constructedIn(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const file of sourceFiles('src')) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
        const name = node.expression.text;
        if (!found.has(name)) found.set(name, new Set());
        found.get(name)!.add(folderOf(file));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('error catalogue (src/errors/catalogue.ts)', () => {
  for (const code of ERROR_CODES) {
    const entry = catalogueEntry(code);
    // Widened: with no reserved code today, the checker would call the comparison impossible.
    const raise = RAISERS[code] as (() => StocklineError) | 'reserved';
    if (raise === 'reserved') continue;
    it(`${code}: its class carries it, with the catalogue's name, default retriable and kind`, () => {
      const error = raise();
      expect(error.code).to.equal(code);
      expect('raisedBy' in entry && entry.raisedBy).to.equal(error.name);
      expect(error.retriable, 'retriable').to.equal(entry.retriable);
      expect(error instanceof UnrecoverableError, 'unrecoverable').to.equal(entry.unrecoverable === true);
    });
  }

  it('every code is raised in exactly the folders of src/ it names, or is reserved', () => {
    const constructed = constructedIn();
    for (const code of ERROR_CODES) {
      const entry = catalogueEntry(code);
      const raised = 'raisedBy' in entry ? [...(constructed.get(entry.raisedBy) ?? [])].sort() : [];
      const named = 'raisedIn' in entry ? [...entry.raisedIn].sort() : [];
      expect(
        raised,
        `${code} (class ${'raisedBy' in entry ? entry.raisedBy : 'reserved'}) is raised in these folders of src/; ` +
          'update raisedIn in src/errors/catalogue.ts (or mark the code reserved), then npm run gen:schemas',
      ).to.deep.equal(named);
      if ('raisedBy' in entry) expect(raised, `${code} is raised nowhere`).not.to.be.empty;
    }
  });

  it('input that no retry fixes is never marked retriable', () => {
    for (const code of ERROR_CODES) {
      const entry = catalogueEntry(code);
      if (entry.unrecoverable) expect(entry.retriable, code).to.equal(false);
    }
  });

  it('docs/errors.md is what npm run gen:schemas writes from the catalogue now', async () => {
    const file = 'docs/errors.md';
    const formatted = await prettier.format(errorsReference(), {
      ...(await prettier.resolveConfig(file)),
      filepath: file,
    });
    expect(readFileSync(file, 'utf8')).to.equal(formatted);
  });

  it('the reference marks reserved codes and keeps a | inside a cell', () => {
    const text = errorsReference({
      STOCKLINE_MQ_GONE: {
        reserved: 'the MQ replicator',
        retriable: true,
        meaning: 'the queue manager is gone | unreachable',
        whatToDo: 'start it',
      },
    });
    expect(text).to.include(
      '| `STOCKLINE_MQ_GONE` | reserved: the MQ replicator | yes | — | the queue manager is gone \\| unreachable | start it |',
    );
  });
});
