// Which keys about changes a mapping may give, asked of its source format and never decided by
// the format's name: `position`/`sequence` where the mapping identifies changes, `identity`
// where it refines a format's own identity, `ops` where the format tells kinds of change apart,
// and each format's options block (fixed-width: `record`) for that format only.
import { listed, type FormatRegistry, type SourceFormat } from '../sources/format.js';
import type { MappingFile } from './format.js';

/** A compile problem: the path inside the mapping ("/emit/0/quantity") and what is wrong. */
export interface CompileProblem {
  path: string;
  message: string;
  /** The message names what it is about itself: printed after the file position without the path. */
  plain?: boolean;
}

/** The format a mapping names, or the problem that it names none of `formats`. */
export function formatOf(
  mapping: MappingFile,
  formats: FormatRegistry,
): { format: SourceFormat } | { problem: CompileProblem } {
  const format = formats.get(mapping.source.format);
  return format
    ? { format }
    : {
        problem: {
          path: '/source/format',
          message: `unknown format "${mapping.source.format}"; formats: ${formats.names.join(', ')}`,
        },
      };
}

/** The keys of a mapping that its format does not take, or that it needs and are missing. */
export function sourceKeyProblems(
  mapping: MappingFile,
  format: SourceFormat,
  formats: FormatRegistry,
): CompileProblem[] {
  const problems: CompileProblem[] = [];
  const source = mapping.source as MappingFile['source'] & Record<string, unknown>;
  const { name, identity } = format;
  if (identity.by === 'mapping') {
    if (!source.position)
      problems.push({
        path: '/source',
        message: `format ${name} needs "position": an expression identifying each change (for event ids)`,
      });
  } else {
    const given = (['position', 'sequence'] as const).filter((k) => source[k] !== undefined);
    if (given.length > 0)
      problems.push({
        path: '/source',
        message: `${name} takes its position from ${identity.from}; remove ${given.map((k) => `"${k}"`).join('/')}${identity.refinement ? ' (say what identifies a change with "identity")' : ''}`,
      });
  }
  if (source.identity !== undefined && !(identity.by === 'record' && identity.refinement)) {
    const refining = formats
      .all()
      .filter((f) => f.identity.by === 'record' && f.identity.refinement !== undefined);
    problems.push({
      path: '/source/identity',
      message: `identity applies to ${listed(refining.map((f) => f.name))}; format ${name} ${identity.by === 'mapping' ? 'is identified by "position"' : `takes its identity from ${identity.from}`}`,
    });
  }
  for (const other of formats.all()) {
    const key = other.options?.key;
    if (other !== format && key !== undefined && source[key] !== undefined)
      problems.push({
        path: `/source/${key}`,
        message: `${key} applies to ${other.name}; format ${name} does not take it`,
      });
  }
  if (mapping.ops && !format.ops) {
    const withOps = formats.all().filter((f) => f.ops !== undefined);
    problems.push({ path: '/ops', message: `ops apply to ${listed(withOps.map((f) => f.name))} only` });
  }
  return problems;
}
