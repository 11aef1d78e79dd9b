import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { InventoryEventDataSchema } from '../canonical/data-schema.js';
import {
  LEVEL,
  MOVEMENT,
  type CanonicalEvent,
  type InventoryEventData,
  type Reason,
} from '../canonical/event.js';
import { eventId, stockKey } from '../canonical/identity.js';
import { classifyDebezium, type DebeziumOp } from '../sources/debezium/envelope.js';
import {
  debeziumPosition,
  UnidentifiableChange,
  type ChangePosition,
  type IdentityRule,
} from '../sources/debezium/position.js';
import type { DebeziumChange } from '../sources/debezium/envelope.js';
import type { RecordDecoder } from '../sources/mainframe/record.js';
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

/** One message from a raw topic, as the mapper hands it over. */
export interface RawInput {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
}

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
  format: MappingFile['source']['format'];
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
  /** The record decoder of a fixed-width mapping, built by the loader from its copybook or layout. */
  recordDecoder?: RecordDecoder;
}

/** A compile problem: the path inside the mapping ("/emit/0/quantity") and what is wrong. */
export interface CompileProblem {
  path: string;
  message: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateData = ajv.compile<InventoryEventData>(InventoryEventDataSchema);

interface CompiledEmit {
  type: typeof MOVEMENT | typeof LEVEL;
  when?: CompiledValue;
  fields: {
    name: 'sku' | 'location' | 'quantity' | 'sign' | 'unit' | 'reason' | 'occurredAt';
    value: CompiledValue;
  }[];
  toBaseUnit?: (sku: string, unit: string) => { base_unit: string; factor: string };
}

type Decoded =
  | { context: MappingContext; position?: ChangePosition; change?: DebeziumChange; op?: DebeziumOp }
  | { skip: string };

const headerText = (headers: Record<string, Buffer | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v === undefined ? '' : v.toString('utf8')]));

function parseJson(bytes: Buffer | null, what: string): unknown {
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (e) {
    throw new MappingError(`the message ${what} is not JSON: ${(e as Error).message}`, { field: what });
  }
}

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
  const debezium = source.format === 'debezium-json';
  if (!debezium && !source.position)
    problems.push({
      path: '/source',
      message: `format ${source.format} needs "position": an expression identifying each change (for event ids)`,
    });
  if (debezium && (source.position || source.record))
    problems.push({
      path: '/source',
      message:
        'debezium-json takes its position from the change event; remove "position"/"record" (say what identifies a change with "identity")',
    });
  if (!debezium && source.identity !== undefined)
    problems.push({
      path: '/source/identity',
      message: `identity applies to debezium-json; format ${source.format} is identified by "position"`,
    });
  if (source.format === 'fixed-width' && !ctx.recordDecoder)
    problems.push({
      path: '/source/record',
      message: 'fixed-width needs a record layout: copybook or layout, and ccsid',
    });
  if (!debezium && mapping.ops) problems.push({ path: '/ops', message: 'ops apply to debezium-json only' });

  const positionValue = compile('/source/position', source.position);
  const identityValue =
    source.identity !== undefined && source.identity !== 'row'
      ? compile('/source/identity', source.identity)
      : undefined;
  const identityRule = (value?: string): IdentityRule =>
    source.identity === 'row'
      ? { kind: 'row' }
      : value !== undefined
        ? { kind: 'value', value }
        : { kind: 'default' };
  const sequenceValue = compile('/source/sequence', source.sequence);
  const filter = compile('/filter', mapping.filter);
  const ops = new Set<string>(mapping.ops ?? ['c', 'r']);

  const emits: CompiledEmit[] = mapping.emit.map((emit: EmitSpec, i) => {
    const at = (field: string) => `/emit/${i}/${field}`;
    const fields: CompiledEmit['fields'] = [];
    for (const name of ['sku', 'location', 'quantity', 'sign', 'unit', 'reason', 'occurredAt'] as const) {
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
  if (problems.length > 0) return { problems };

  const decode = (input: RawInput): Decoded => {
    const headers = headerText(input.headers);
    if (debezium) {
      const message = classifyDebezium(parseJson(input.value, 'value'));
      if (message.kind === 'not-debezium') throw new MappingError(message.reason, { field: 'value' });
      if (message.kind !== 'change') return { skip: message.kind };
      if (!ops.has(message.op))
        return { skip: `op ${message.op} is not handled by this mapping (ops: ${[...ops].join(', ')})` };
      const key = parseJson(input.key, 'key');
      return {
        op: message.op,
        change: message,
        context: {
          op: message.op,
          before: message.before,
          after: message.after,
          source: message.source,
          ts_ms: message.ts_ms,
          key,
          headers,
          topic: input.topic,
        },
      };
    }
    if (input.value === null) return { skip: 'tombstone' };
    const context: MappingContext = { key: input.key?.toString('utf8') ?? null, headers, topic: input.topic };
    if (source.format === 'json') context.value = parseJson(input.value, 'value');
    else context.record = ctx.recordDecoder!.decode(input.value);
    return { context };
  };

  /** What identifies the change (the event ids derive from it), where it was read, its order. */
  const identify = async (
    decoded: Extract<Decoded, { context: MappingContext }>,
    topic: string,
  ): Promise<ChangePosition> => {
    const { context, change } = decoded;
    if (change) {
      const value = identityValue
        ? requireText(
            await settle(evaluate(identityValue, context, 'source.identity')),
            'source.identity',
            identityValue.text,
          )
        : undefined;
      try {
        const position = debeziumPosition(change, context.key, identityRule(value));
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
    }
    const change_ = requireText(
      await settle(evaluate(positionValue!, context, 'source.position')),
      'source.position',
      positionValue!.text,
    );
    return {
      system: source.system ?? topic,
      entity: source.entity ?? topic,
      change: change_,
      sequence: sequenceValue
        ? requireText(
            await settle(evaluate(sequenceValue, context, 'source.sequence')),
            'source.sequence',
            sequenceValue.text,
          )
        : change_,
      snapshot: false,
    };
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
    const decoded = decode(input);
    if ('skip' in decoded) return { kind: 'skipped', reason: decoded.skip };
    const { context } = decoded;
    const position = await identify(decoded, input.topic);
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
      const data: InventoryEventData = {
        sku,
        location: text('location'),
        quantity,
        unit,
        reason: text('reason') as Reason,
        occurredAt: text('occurredAt'),
        source: {
          system: position.system,
          entity: position.entity,
          position: position.change,
          sequence: position.sequence,
          ...(position.snapshot ? { snapshot: true } : {}),
        },
        mapping: mapping.name,
      };
      if (!validateData(data)) {
        const reasons = (validateData.errors ?? []).map(
          (e) =>
            `${e.instancePath.slice(1).replace(/\//g, '.') || 'data'} ${e.message ?? 'is invalid'} (got ${JSON.stringify(
              e.instancePath
                .split('/')
                .filter(Boolean)
                .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], data),
            )})`,
        );
        throw new MappingError(`emit[${i}] makes an invalid ${emit.type} event: ${reasons.join('; ')}`, {
          mapping: mapping.name,
          field: reasons[0]?.split(' ')[0],
        });
      }
      const subject = stockKey(data.sku, data.location);
      events.push({
        id: eventId(position.system, position.entity, position.change, mapping.name, i),
        source: `/stockline/${position.system}/${position.entity}`,
        type: emit.type,
        time: data.occurredAt,
        subject,
        data,
      });
    }
    return events.length === 0
      ? { kind: 'skipped', reason: 'no emit applies (every "when" is false)' }
      : { kind: 'events', events };
  };

  const compiled: CompiledMapping = {
    name: mapping.name,
    file,
    enabled: mapping.enabled ?? true,
    format: source.format,
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
