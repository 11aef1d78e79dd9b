import jsonata from 'jsonata';
import { decimalFunctions } from './decimal-functions.js';
import { compileNative } from './native-expression.js';
import { scalarText } from './scalar-text.js';

export { scalarText };
import type { Lookups } from './lookups.js';
import { textFunctions, timeFunctions } from './time-functions.js';

/** What an expression sees: the decoded input (op, before, after, source, record, value, headers, ...). */
export type MappingContext = Record<string, unknown>;

export type ValueOrigin = 'constant' | 'path' | 'expression' | 'template' | 'lookup';

/** A mapping value compiled once: field paths and constants become direct accessors. */
export interface CompiledValue {
  origin: ValueOrigin;
  /** The text as written in the mapping, for explain and error messages. */
  text: string;
  evaluate(context: MappingContext): unknown;
}

/** A value as written in YAML: a constant, a "${expression}" template, or a lookup. */
export type ValueSpec = string | number | boolean | LookupSpec;
export interface LookupSpec {
  lookup: string;
  key: Record<string, string>;
  field?: string;
}

export class ExpressionError extends Error {
  constructor(
    message: string,
    /** Character offset inside the value text, when known. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface CompileOptions {
  lookups: Lookups;
  /** Quantities must not use JSONata's floating-point arithmetic. */
  exactDecimals?: boolean;
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  procedure?: AstNode;
  [k: string]: unknown;
}

/** Splits "a ${x} b ${y}" into literal and expression parts; braces and quotes inside ${} nest. */
export function parseTemplate(text: string): { literal?: string; expression?: string; offset: number }[] {
  const parts: { literal?: string; expression?: string; offset: number }[] = [];
  let i = 0;
  let literal = '';
  let literalStart = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i++;
      continue;
    }
    if (literal) parts.push({ literal, offset: literalStart });
    literal = '';
    const start = i + 2;
    let depth = 1;
    let j = start;
    let quote: string | undefined;
    while (j < text.length && depth > 0) {
      const c = text[j]!;
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
      j++;
    }
    if (depth > 0) throw new ExpressionError(`"\${" at character ${i + 1} is never closed with "}"`, i);
    parts.push({ expression: text.slice(start, j - 1).trim(), offset: start });
    i = j;
    literalStart = i;
  }
  if (literal) parts.push({ literal, offset: literalStart });
  return parts;
}

function walk(node: unknown, visit: (n: AstNode) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    const n = node as AstNode;
    if (typeof n.type === 'string') visit(n);
    for (const v of Object.values(n)) if (v && typeof v === 'object') walk(v, visit);
  }
}

const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);

function checkAst(ast: AstNode, options: CompileOptions, offset: number): void {
  walk(ast, (n) => {
    if (n.type === 'lambda')
      throw new ExpressionError(
        'function definitions are not allowed in mappings',
        offset + (n.position ?? 0),
      );
    if (n.type === 'function' && n.procedure?.type === 'variable' && n.procedure.value === 'eval') {
      throw new ExpressionError(
        '$eval is not allowed in mappings: every expression must be visible in the file',
        offset + (n.position ?? 0),
      );
    }
    if (options.exactDecimals && n.type === 'binary' && ARITHMETIC.has(String(n.value))) {
      throw new ExpressionError(
        `"${String(n.value)}" is binary floating-point arithmetic; use $dadd, $dsub, $dmul, $dneg for quantities`,
        offset + (n.position ?? 0),
      );
    }
    if (n.type === 'unary' && n.value === '-' && options.exactDecimals) {
      throw new ExpressionError(
        'unary "-" is floating-point arithmetic; use $dneg(...) for quantities',
        offset + (n.position ?? 0),
      );
    }
  });
}

function pathAccessor(names: string[]): (context: MappingContext) => unknown {
  // Unrolled for the common depths: these run for every field of every event.
  const [a, b, c] = names;
  if (names.length === 1) return (x) => x[a!];
  if (names.length === 2) return (x) => (x[a!] as MappingContext | null | undefined)?.[b!];
  if (names.length === 3)
    return (x) =>
      ((x[a!] as MappingContext | null | undefined)?.[b!] as MappingContext | null | undefined)?.[c!];
  return (x) => {
    let v: unknown = x;
    for (const n of names) v = v === null || v === undefined ? undefined : (v as MappingContext)[n];
    return v;
  };
}

function compileExpression(expression: string, options: CompileOptions, offset: number): CompiledValue {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(expression);
  } catch (e) {
    const err = e as { message?: string; position?: number };
    throw new ExpressionError(
      `expression does not parse: ${err.message ?? String(e)}`,
      offset + Math.max(0, (err.position ?? 1) - 1),
    );
  }
  const ast = compiled.ast() as AstNode;
  checkAst(ast, options, offset);
  if (ast.type === 'string' || ast.type === 'number' || ast.type === 'value') {
    const value = ast.value;
    return { origin: 'constant', text: expression, evaluate: () => value };
  }
  if (
    ast.type === 'path' &&
    ast.steps?.every(
      (s) => s.type === 'name' && Object.keys(s).every((k) => ['type', 'value', 'position'].includes(k)),
    )
  ) {
    return {
      origin: 'path',
      text: expression,
      evaluate: pathAccessor(ast.steps.map((s) => String(s.value))),
    };
  }
  // The common subset runs as plain closures; the interpreter is kept for the rest.
  const native = compileNative(ast);
  if (native) return { origin: 'expression', text: expression, evaluate: native };
  for (const [name, fn] of Object.entries({ ...decimalFunctions, ...timeFunctions, ...textFunctions })) {
    compiled.registerFunction(name, fn as (...args: unknown[]) => unknown);
  }
  compiled.registerFunction('lookup', (table: unknown, key: unknown, field?: unknown) => {
    const keyObject = Object.fromEntries(
      Object.entries((key ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
    const row = options.lookups.resolver(scalarText(table), Object.keys(keyObject))(keyObject);
    return field === undefined ? row : row[scalarText(field)];
  });
  return { origin: 'expression', text: expression, evaluate: (context) => compiled.evaluate(context) };
}

function compileLookup(spec: LookupSpec, options: CompileOptions): CompiledValue {
  const keyColumns = Object.keys(spec.key);
  const resolve = options.lookups.resolver(spec.lookup, keyColumns);
  const table = options.lookups.table(spec.lookup)!;
  const nonKey = table.columns.filter((c) => !keyColumns.includes(c));
  const field = spec.field ?? (nonKey.length === 1 ? nonKey[0] : undefined);
  if (!field)
    throw new ExpressionError(
      `lookup "${spec.lookup}" has several value columns (${nonKey.join(', ')}); name one with "field"`,
    );
  if (!table.columns.includes(field))
    throw new ExpressionError(
      `lookup "${spec.lookup}" has no column "${field}"; columns: ${table.columns.join(', ')}`,
    );
  const keys = keyColumns.map(
    (k) => [k, compileValue(spec.key[k]!, { ...options, exactDecimals: false })] as const,
  );
  const text = `${spec.lookup}[${keyColumns.map((k) => `${k}=${spec.key[k]}`).join(', ')}].${field}`;
  return {
    origin: 'lookup',
    text,
    evaluate: (context) => {
      const values = keys.map(([k, v]) => [k, v.evaluate(context)] as const);
      const build = (resolved: (readonly [string, unknown])[]) =>
        resolve(Object.fromEntries(resolved.map(([k, v]) => [k, scalarText(v)])))[field];
      return values.some(([, v]) => v instanceof Promise)
        ? Promise.all(values.map(async ([k, v]) => [k, await v] as const)).then(build)
        : build(values);
    },
  };
}

/** Compiles one value of a mapping. Throws ExpressionError with a reason (and offset) when it cannot. */
export function compileValue(spec: ValueSpec, options: CompileOptions): CompiledValue {
  if (typeof spec === 'number' || typeof spec === 'boolean')
    return { origin: 'constant', text: String(spec), evaluate: () => spec };
  if (typeof spec === 'object') {
    try {
      return compileLookup(spec, options);
    } catch (e) {
      if (e instanceof ExpressionError) throw e;
      throw new ExpressionError((e as Error).message);
    }
  }
  const parts = parseTemplate(spec);
  if (parts.length === 0) return { origin: 'constant', text: spec, evaluate: () => '' };
  if (parts.length === 1 && parts[0]!.literal !== undefined) {
    const literal = parts[0]!.literal;
    return { origin: 'constant', text: spec, evaluate: () => literal };
  }
  if (parts.length === 1) return compileExpression(parts[0]!.expression!, options, parts[0]!.offset);
  const compiled = parts.map((p) =>
    p.literal !== undefined
      ? p.literal
      : compileExpression(p.expression!, { ...options, exactDecimals: false }, p.offset),
  );
  const join = (values: unknown[]) =>
    values
      .map((v, i) => {
        if (v === undefined || v === null)
          throw new Error(`\${${(compiled[i] as CompiledValue).text}} has no value`);
        return scalarText(v);
      })
      .join('');
  return {
    origin: 'template',
    text: spec,
    evaluate: (context) => {
      const values = compiled.map((c) => (typeof c === 'string' ? c : c.evaluate(context)));
      return values.some((v) => v instanceof Promise) ? Promise.all(values).then(join) : join(values);
    },
  };
}
