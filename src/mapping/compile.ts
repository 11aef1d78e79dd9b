import { buildCanonicalEvent, type ChangePosition, type EventFields } from '../canonical/build.js';
import { LEVEL, MOVEMENT, type CanonicalEvent } from '../canonical/event.js';
import {
  UnidentifiableChange,
  UnreadableRecord,
  type DeclaredIdentity,
  type FormatRegistry,
  type FormatReader,
  type ReadRecord,
  type SourceFormat,
  type SourceRecord,
} from '../sources/format.js';
import { SOURCE_FORMATS } from '../sources/formats.js';
import { scaleQuantity } from './decimal-functions.js';
import { MappingError } from './errors.js';
import {
  compileValue,
  ExpressionError,
  scalarText,
  type CompiledValue,
  type MappingContext,
} from './expression.js';
import type { EmitSpec, MappingFile } from './format.js';
import type { Lookups } from './lookups.js';
import { formatOf, sourceKeyProblems, type CompileProblem } from './source-keys.js';

export type { CompileProblem } from './source-keys.js';

/** One message from a raw topic, as the mapper hands it over. */
export type RawInput = SourceRecord;

export type MapOutcome = { kind: 'events'; events: CanonicalEvent[] } | { kind: 'skipped'; reason: string };

/** What `mappings explain` shows: each field's value and where it came from. */
export interface FieldExplanation {
  emit: number;
  field: string;
  origin: string;
  text: string;
  value?: unknown;
  error?: string;
}

export interface CompiledMapping {
  name: string;
  file: string;
  enabled: boolean;
  /** The name of its source format. */
  format: string;
  /** Its source format, for what the test runner checks of identities. */
  sourceFormat: SourceFormat;
  topics: string[];
  topicPattern?: RegExp;
  /** The mapping as loaded, for the test runner. */
  spec: MappingFile;
  matchesTopic(topic: string): boolean;
  map(input: RawInput): Promise<MapOutcome>;
  explain(
    input: RawInput,
  ): Promise<{ outcome: MapOutcome | { kind: 'error'; error: string }; fields: FieldExplanation[] }>;
}

export interface CompileContext {
  lookups: Lookups;
  /** The formats a mapping may name; default: the shipped ones (sources/formats.ts). */
  formats?: FormatRegistry;
  /** Reads a file a mapping names (a copybook), relative to the mapping; the caller does the I/O. */
  readRelative?: (fromFile: string, ref: string) => Buffer | undefined;
}

interface CompiledEmit {
  type: typeof MOVEMENT | typeof LEVEL;
  when?: CompiledValue;
  fields: {
    name: (typeof EMIT_FIELDS)[number];
    value: CompiledValue;
  }[];
  toBaseUnit?: (sku: string, unit: string) => { base_unit: string; factor: string };
}

const EMIT_FIELDS = [
  'sku',
  'location',
  'quantity',
  'sign',
  'unit',
  'reason',
  'occurredAt',
  'stockType',
  'specialStock',
  'postingDate',
] as const;
/** Fields an event may lack: an empty value (undefined, null, "") leaves them out of the event. */
const OPTIONAL_FIELDS = ['stockType', 'specialStock', 'postingDate'] as const;

const noFiles = () => undefined;

function resolveAll(values: unknown[]): unknown[] | Promise<unknown[]> {
  return values.some((v) => v instanceof Promise) ? Promise.all(values) : values;
}

export function compileMapping(
  mapping: MappingFile,
  file: string,
  ctx: CompileContext,
): { mapping?: CompiledMapping; problems: CompileProblem[] } {
  const problems: CompileProblem[] = [];
  const compile = (
    path: string,
    spec: Parameters<typeof compileValue>[0] | undefined,
    exactDecimals = false,
  ): CompiledValue | undefined => {
    if (spec === undefined) return undefined;
    try {
      return compileValue(spec, { lookups: ctx.lookups, exactDecimals });
    } catch (e) {
      const where =
        e instanceof ExpressionError && e.offset !== undefined
          ? ` (at character ${e.offset + 1} of the value)`
          : '';
      problems.push({ path, message: `${(e as Error).message}${where}` });
      return undefined;
    }
  };

  const source = mapping.source;
  const topics = source.topics ?? (source.topic ? [source.topic] : []);
  let topicPattern: RegExp | undefined;
  if (source.topicPattern) {
    try {
      topicPattern = new RegExp(source.topicPattern);
    } catch (e) {
      problems.push({
        path: '/source/topicPattern',
        message: `not a regular expression: ${(e as Error).message}`,
      });
    }
  }
  if (topics.length === 0 && !source.topicPattern)
    problems.push({ path: '/source', message: 'name the input with topic, topics or topicPattern' });
  const formats = ctx.formats ?? SOURCE_FORMATS;
  const found = formatOf(mapping, formats);
  let format: SourceFormat | undefined;
  let reader: FormatReader | undefined;
  if ('problem' in found) problems.push(found.problem);
  else {
    format = found.format;
    const prepared = format.prepare(
      { name: mapping.name, file, source: mapping.source, ops: mapping.ops },
      { readRelative: ctx.readRelative ?? noFiles },
    );
    reader = prepared.reader;
    // The format's own problems first: they say why a record cannot be read at all.
    problems.unshift(...prepared.problems);
    problems.push(...sourceKeyProblems(mapping, format, formats));
  }

  const positionValue = compile('/source/position', source.position);
  const refinement = format?.identity.by === 'record' ? format.identity.refinement : undefined;
  const identityKeyword =
    source.identity !== undefined && refinement?.keywords.includes(source.identity)
      ? source.identity
      : undefined;
  const identityValue =
    identityKeyword === undefined ? compile('/source/identity', source.identity) : undefined;
  const sequenceValue = compile('/source/sequence', source.sequence);
  const filter = compile('/filter', mapping.filter);

  const emits: CompiledEmit[] = mapping.emit.map((emit: EmitSpec, i) => {
    const at = (field: string) => `/emit/${i}/${field}`;
    const fields: CompiledEmit['fields'] = [];
    for (const name of EMIT_FIELDS) {
      const value = compile(at(name), emit[name], name === 'quantity');
      if (value) fields.push({ name, value });
    }
    let toBaseUnit: CompiledEmit['toBaseUnit'];
    if (emit.toBaseUnit) {
      const table = emit.toBaseUnit.table;
      try {
        const find = ctx.lookups.finder(table, ['sku', 'unit']);
        const columns = ctx.lookups.table(table)!.columns;
        for (const c of ['base_unit', 'factor'])
          if (!columns.includes(c)) throw new Error(`lookup table "${table}" needs a column ${c}`);
        toBaseUnit = (sku, unit) => {
          const row = find({ sku, unit }) ?? find({ sku: '*', unit });
          if (!row) {
            throw new MappingError(
              `no conversion of unit ${unit} for SKU ${sku} in lookup table "${table}" (nor for sku "*"); add a row rather than assume 1`,
              {
                lookup: table,
                field: 'unit',
              },
            );
          }
          return { base_unit: row.base_unit!, factor: row.factor! };
        };
      } catch (e) {
        problems.push({ path: at('toBaseUnit'), message: (e as Error).message });
      }
    }
    return {
      type: emit.type === 'level' ? LEVEL : MOVEMENT,
      when: compile(at('when'), emit.when),
      fields,
      toBaseUnit,
    };
  });
  if (problems.length > 0 || !format || !reader) return { problems };
  const sourceFormat = format;
  const recordReader = reader;

  /** The record's values, or why it is skipped; a record the format cannot read is a mapping error of its field. */
  const read = (input: RawInput): ReadRecord | { skip: string } => {
    try {
      return recordReader.read(input);
    } catch (e) {
      if (e instanceof UnreadableRecord) throw new MappingError(e.message, e.context);
      throw e;
    }
  };

  /** What identifies the change (the event ids derive from it), where it was read, its order. */
  const identify = async (record: ReadRecord): Promise<ChangePosition> => {
    const context = record.values;
    const declared: DeclaredIdentity = {};
    if (positionValue)
      declared.position = requireText(
        await settle(evaluate(positionValue, context, 'source.position')),
        'source.position',
        positionValue.text,
      );
    if (sequenceValue)
      declared.sequence = requireText(
        await settle(evaluate(sequenceValue, context, 'source.sequence')),
        'source.sequence',
        sequenceValue.text,
      );
    if (identityKeyword !== undefined) declared.identity = { keyword: identityKeyword };
    else if (identityValue)
      declared.identity = {
        value: requireText(
          await settle(evaluate(identityValue, context, 'source.identity')),
          'source.identity',
          identityValue.text,
        ),
      };
    try {
      const position = record.identify(declared);
      return {
        ...position,
        system: source.system ?? position.system,
        entity: source.entity ?? position.entity,
      };
    } catch (e) {
      if (e instanceof UnidentifiableChange)
        throw new MappingError(`the change cannot be identified: ${e.message}`, {
          mapping: mapping.name,
          field: 'source',
        });
      throw e;
    }
  };

  const fieldError = (e: unknown, value: CompiledValue, field: string): MappingError =>
    e instanceof MappingError
      ? new MappingError(`${field}: ${e.message}`, { ...e.context, mapping: mapping.name, field })
      : new MappingError(`${field} (${value.text}): ${(e as Error).message}`, {
          mapping: mapping.name,
          field,
        });

  /** The value, or a promise of it only when the JSONata interpreter is involved: no microtask otherwise. */
  const evaluate = (value: CompiledValue, context: MappingContext, field: string): unknown => {
    try {
      const result = value.evaluate(context);
      return result instanceof Promise
        ? result.catch((e: unknown) => Promise.reject(fieldError(e, value, field)))
        : result;
    } catch (e) {
      throw fieldError(e, value, field);
    }
  };
  const settle = async (v: unknown): Promise<unknown> => (v instanceof Promise ? ((await v) as unknown) : v);

  const requireText = (value: unknown, field: string, text: string): string => {
    if (value === undefined || value === null || value === '')
      throw new MappingError(`${field} (${text}) has no value for this event`, {
        mapping: mapping.name,
        field,
      });
    if (typeof value === 'object')
      throw new MappingError(`${field} (${text}) gave ${JSON.stringify(value)}, not a single value`, {
        mapping: mapping.name,
        field,
      });
    return scalarText(value);
  };

  const run = async (input: RawInput, trace?: FieldExplanation[]): Promise<MapOutcome> => {
    const record = read(input);
    if ('skip' in record) return { kind: 'skipped', reason: record.skip };
    const context: MappingContext = record.values;
    const position = await identify(record);
    if (filter && !(await settle(evaluate(filter, context, 'filter'))))
      return { kind: 'skipped', reason: `filter ${filter.text} is false` };
    const events: CanonicalEvent[] = [];
    for (let i = 0; i < emits.length; i++) {
      const emit = emits[i]!;
      if (emit.when) {
        let on = evaluate(emit.when, context, `emit[${i}].when`);
        if (on instanceof Promise) on = await on;
        trace?.push({ emit: i, field: 'when', origin: emit.when.origin, text: emit.when.text, value: on });
        if (!on) continue;
      }
      let raw: unknown[] | undefined;
      try {
        const all = resolveAll(emit.fields.map((f) => f.value.evaluate(context)));
        raw = all instanceof Promise ? await all : all;
      } catch {
        raw = undefined;
      }
      const values: Record<string, unknown> = {};
      for (let f = 0; f < emit.fields.length; f++) {
        const { name, value } = emit.fields[f]!;
        // Re-evaluate one by one only when something failed, to name the failing field.
        values[name] = raw ? raw[f] : await settle(evaluate(value, context, `emit[${i}].${name}`));
        trace?.push({ emit: i, field: name, origin: value.origin, text: value.text, value: values[name] });
      }
      const text = (name: string) =>
        requireText(
          values[name],
          `emit[${i}].${name}`,
          emit.fields.find((f) => f.name === name)?.value.text ?? '',
        );
      const sku = text('sku');
      let unit = text('unit');
      let factor: string | undefined;
      if (emit.toBaseUnit) {
        const conversion = emit.toBaseUnit(sku, unit);
        trace?.push({
          emit: i,
          field: 'toBaseUnit',
          origin: 'lookup',
          text: `${unit} -> ${conversion.base_unit} × ${conversion.factor}`,
          value: conversion,
        });
        unit = conversion.base_unit;
        factor = conversion.factor;
      }
      let quantity: string;
      try {
        quantity = scaleQuantity(values.quantity, values.sign ?? 1, factor);
      } catch (e) {
        throw new MappingError(`emit[${i}].quantity: ${(e as Error).message}`, {
          mapping: mapping.name,
          field: 'quantity',
        });
      }
      const fields: EventFields = {
        sku,
        location: text('location'),
        quantity,
        unit,
        reason: text('reason'),
        occurredAt: text('occurredAt'),
      };
      for (const name of OPTIONAL_FIELDS) {
        const value = values[name];
        if (value !== undefined && value !== null && value !== '') fields[name] = text(name);
      }
      const built = buildCanonicalEvent({
        type: emit.type,
        fields,
        position,
        mapping: mapping.name,
        emitIndex: i,
      });
      if ('invalid' in built) {
        const { reasons, field } = built.invalid;
        throw new MappingError(`emit[${i}] makes an invalid ${emit.type} event: ${reasons.join('; ')}`, {
          mapping: mapping.name,
          field,
        });
      }
      events.push(built.event);
    }
    return events.length === 0
      ? { kind: 'skipped', reason: 'no emit applies (every "when" is false)' }
      : { kind: 'events', events };
  };

  const compiled: CompiledMapping = {
    name: mapping.name,
    file,
    enabled: mapping.enabled ?? true,
    format: sourceFormat.name,
    sourceFormat,
    topics,
    topicPattern,
    spec: mapping,
    matchesTopic: (topic) => topics.includes(topic) || (topicPattern?.test(topic) ?? false),
    map: (input) => run(input),
    explain: async (input) => {
      const fields: FieldExplanation[] = [];
      try {
        return { outcome: await run(input, fields), fields };
      } catch (e) {
        return { outcome: { kind: 'error', error: (e as Error).message }, fields };
      }
    },
  };
  return { mapping: compiled, problems };
}
