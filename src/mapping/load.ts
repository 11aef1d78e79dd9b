import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseCsv } from 'csv-parse/sync';
import type { FormatRegistry } from '../sources/format.js';
import { SOURCE_FORMATS } from '../sources/formats.js';
import {
  parseYamlWithPositions,
  positionOf,
  YamlSyntaxError,
  type SourcePosition,
} from '../shared/yaml-source.js';
import { compileMapping, type CompiledMapping } from './compile.js';
import { checkConstants } from './constant-checks.js';
import { reservedTopicProblems, sharedTopicWarnings, type ReservedTopic } from './topic-checks.js';
import { CANONICAL_TOPIC, DEAD_LETTER_TOPIC, STOCK_TOPIC } from '../canonical/event.js';
import { MappingFileError } from './errors.js';
import {
  mappingFileSchema,
  MappingFileSchema,
  MappingTestFileSchema,
  type MappingFile,
  type MappingTestFile,
  type TestCase,
} from './format.js';
import { Lookups, type LookupTableData } from './lookups.js';

/** The files of a mappings folder, read by the caller: this module does no I/O. */
export interface MappingSources {
  mappingFiles: SourceFile[];
  testFiles: SourceFile[];
  lookupFiles: SourceFile[];
  /** Reads a file named in a mapping (copybook, test input), relative to that mapping's file. */
  readRelative: (fromFile: string, ref: string) => Buffer | undefined;
}

export interface SourceFile {
  path: string;
  text: string;
}

export interface MappingTest {
  mapping: CompiledMapping;
  file: string;
  test: TestCase;
  line?: number;
}

export interface LoadedMappings {
  mappings: CompiledMapping[];
  lookups: Lookups;
  tests: MappingTest[];
  /** What is allowed but probably wrong (two mappings emitting movements from one topic), with file:line:column. */
  warnings: string[];
}

export interface LoadMappingsOptions {
  /** Topics stockline writes, which no mapping may read; default: the shipped topic names. */
  reservedTopics?: ReservedTopic[];
  /** The formats a mapping may name; default: the shipped ones (sources/formats.ts). */
  formats?: FormatRegistry;
}

export const DEFAULT_RESERVED_TOPICS: ReservedTopic[] = [
  { topic: CANONICAL_TOPIC, what: 'the canonical topic' },
  { topic: DEAD_LETTER_TOPIC, what: 'the dead-letter topic' },
  { topic: STOCK_TOPIC, what: 'the stock topic' },
];

// verbose: errors carry the schema and the value, so a message can list the allowed values.
const AJV_OPTIONS = { allErrors: true, strict: false, verbose: true };
const ajv = new Ajv(AJV_OPTIONS);
const validateMapping = ajv.compile<MappingFile>(MappingFileSchema);
const validatorsByFormats = new WeakMap<FormatRegistry, ValidateFunction<MappingFile>>();

/** The mapping file's validator for `formats`: the shipped one, or one compiled once per registry. */
function mappingValidator(formats: FormatRegistry | undefined): ValidateFunction<MappingFile> {
  if (formats === undefined || formats === SOURCE_FORMATS) return validateMapping;
  let validate = validatorsByFormats.get(formats);
  if (!validate) {
    // An Ajv of its own: the schema keeps the shipped schema's $id, which one Ajv holds once.
    validate = new Ajv(AJV_OPTIONS).compile<MappingFile>(mappingFileSchema(formats));
    validatorsByFormats.set(formats, validate);
  }
  return validate;
}
const validateTestFile = ajv.compile<MappingTestFile>(MappingTestFileSchema);

function describeSchemaError(e: ErrorObject): { path: string; message: string } {
  const at = e.instancePath;
  switch (e.keyword) {
    case 'additionalProperties':
      return {
        path: `${at}/${String(e.params.additionalProperty)}`,
        message: `unknown key "${String(e.params.additionalProperty)}"`,
      };
    case 'required':
      return { path: at, message: `"${String(e.params.missingProperty)}" is required` };
    case 'anyOf': {
      const options = Array.isArray(e.schema) ? (e.schema as { const?: unknown }[]) : [];
      const got = JSON.stringify(e.data);
      return options.length > 0 && options.every((o) => o.const !== undefined)
        ? {
            path: at,
            message: `must be one of ${options.map((o) => String(o.const)).join(', ')}; got ${got}`,
          }
        : { path: at, message: `is not any of the allowed forms; got ${got}` };
    }
    default:
      return { path: at, message: e.message ?? 'is invalid' };
  }
}

function locate(file: string, positions: Map<string, SourcePosition>, path: string): string {
  const p = positionOf(positions, path);
  return p ? `${file}:${p.line}:${p.column}` : file;
}

const dotted = (path: string) =>
  path
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');

function parseYaml(
  file: SourceFile,
  problems: string[],
): ReturnType<typeof parseYamlWithPositions> | undefined {
  try {
    return parseYamlWithPositions(file.text, file.path);
  } catch (e) {
    if (e instanceof YamlSyntaxError) {
      problems.push(...e.lines());
      return undefined;
    }
    throw e;
  }
}

/** Schema errors, most specific first, without the noise of union branches that did not match. */
function schemaProblems(
  file: string,
  positions: Map<string, SourcePosition>,
  errors: ErrorObject[],
): string[] {
  // A union's own message says it all; the messages of its branches are noise.
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const described = errors
    .filter((e) => e.keyword === 'anyOf' || !unions.has(e.instancePath))
    .map(describeSchemaError);
  const specific = described.filter(
    (d) => !described.some((o) => o !== d && o.path.startsWith(`${d.path}/`)),
  );
  return [
    ...new Set(
      specific.map((d) => `${locate(file, positions, d.path)}: ${dotted(d.path) || '(file)'} ${d.message}`),
    ),
  ];
}

function loadLookup(file: SourceFile, problems: string[]): LookupTableData | undefined {
  const name = file.path.replace(/^.*\//, '').replace(/\.(csv|ya?ml)$/, '');
  if (file.path.endsWith('.csv')) {
    try {
      const rows = parseCsv<{ record: Record<string, string>; info: { lines: number } }>(file.text, {
        columns: true,
        skip_empty_lines: true,
        trim: true,
        comment: '#',
        info: true,
      });
      const columns = rows[0]
        ? Object.keys(rows[0].record)
        : (file.text
            .split('\n')
            .find((l) => l && !l.startsWith('#'))
            ?.split(',')
            .map((c) => c.trim()) ?? []);
      return {
        name,
        file: file.path,
        columns,
        rows: rows.map((r) => r.record),
        lines: rows.map((r) => r.info.lines),
      };
    } catch (e) {
      const err = e as Error & { lines?: number };
      problems.push(`${file.path}:${err.lines ?? 1}:1: not valid CSV: ${err.message}`);
      return undefined;
    }
  }
  const parsed = parseYaml(file, problems);
  if (!parsed) return undefined;
  const rows = Array.isArray(parsed.value) ? parsed.value : (parsed.value as { rows?: unknown })?.rows;
  if (!Array.isArray(rows) || rows.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
    problems.push(
      `${file.path}:1:1: a YAML lookup table is a list of rows (mappings of column to value), or { rows: [...] }`,
    );
    return undefined;
  }
  const records = (rows as Record<string, unknown>[]).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])),
  );
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const lines = records.map(
    (_, i) => positionOf(parsed.positions, Array.isArray(parsed.value) ? `/${i}` : `/rows/${i}`)?.line ?? 0,
  );
  return { name, file: file.path, columns, rows: records, lines };
}

/**
 * Loads, validates and compiles every mapping, lookup table and mapping test of a folder.
 * Every problem of every file is reported at once, each with file, line and column.
 */
export function loadMappings(sources: MappingSources, options: LoadMappingsOptions = {}): LoadedMappings {
  const problems: string[] = [];
  const lookups = new Lookups(
    sources.lookupFiles
      .map((f) => loadLookup(f, problems))
      .filter((t): t is LookupTableData => t !== undefined),
  );
  const mappings: CompiledMapping[] = [];
  const tests: MappingTest[] = [];
  const byName = new Map<string, CompiledMapping>();
  const positionsByFile: [string, Map<string, SourcePosition>][] = [];

  for (const file of sources.mappingFiles) {
    const parsed = parseYaml(file, problems);
    if (!parsed) continue;
    const where = (p: string) => locate(file.path, parsed.positions, p);
    positionsByFile.push([file.path, parsed.positions]);
    const validate = mappingValidator(options.formats);
    if (!validate(parsed.value)) {
      problems.push(...schemaProblems(file.path, parsed.positions, validate.errors ?? []));
      continue;
    }
    const spec = parsed.value;
    problems.push(...checkConstants(spec).map((p) => `${where(p.path)}: ${dotted(p.path)}: ${p.message}`));
    const { mapping, problems: compileProblems } = compileMapping(spec, file.path, {
      lookups,
      formats: options.formats,
      readRelative: sources.readRelative,
    });
    problems.push(
      ...compileProblems.map((p) =>
        p.plain ? `${where(p.path)}: ${p.message}` : `${where(p.path)}: ${dotted(p.path)}: ${p.message}`,
      ),
    );
    if (!mapping) continue;
    const other = byName.get(mapping.name);
    if (other) {
      problems.push(`${where('/name')}: mapping name "${mapping.name}" is also used by ${other.file}`);
      continue;
    }
    byName.set(mapping.name, mapping);
    mappings.push(mapping);
    (spec.tests ?? []).forEach((test, i) =>
      tests.push({ mapping, file: file.path, test, line: parsed.positions.get(`/tests/${i}`)?.line }),
    );
  }

  for (const file of sources.testFiles) {
    const parsed = parseYaml(file, problems);
    if (!parsed) continue;
    if (!validateTestFile(parsed.value)) {
      problems.push(...schemaProblems(file.path, parsed.positions, validateTestFile.errors ?? []));
      continue;
    }
    const content = parsed.value;
    const base = file.path.replace(/^.*\//, '').replace(/\.test\.ya?ml$/, '');
    const mapping =
      byName.get(content.mapping ?? '') ??
      mappings.find((m) => m.file.replace(/^.*\//, '').replace(/\.ya?ml$/, '') === base);
    if (!mapping) {
      problems.push(
        `${locate(file.path, parsed.positions, '/mapping')}: no mapping ${content.mapping ? `named "${content.mapping}"` : `file ${base}.yaml`} for these tests`,
      );
      continue;
    }
    content.tests.forEach((test, i) =>
      tests.push({ mapping, file: file.path, test, line: parsed.positions.get(`/tests/${i}`)?.line }),
    );
  }

  const positionsOf = new Map(positionsByFile);
  const at = (t: { mapping: CompiledMapping; path: string }) =>
    `${locate(t.mapping.file, positionsOf.get(t.mapping.file) ?? new Map<string, SourcePosition>(), t.path)}: ${dotted(t.path)}`;
  for (const p of reservedTopicProblems(mappings, options.reservedTopics ?? DEFAULT_RESERVED_TOPICS))
    problems.push(`${at(p)}: ${p.message}`);
  const warnings = sharedTopicWarnings(mappings).map((w) => `${at(w)}: ${w.message}`);

  if (problems.length > 0) {
    throw new MappingFileError(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the mappings:\n  - ${problems.join('\n  - ')}`,
      { problems },
    );
  }
  return { mappings, lookups, tests, warnings };
}
