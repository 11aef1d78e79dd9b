import { decimalFunctions } from './decimal-functions.js';
import { textFunctions, timeFunctions } from './time-functions.js';

/**
 * A compiler from the JSONata syntax tree to plain closures, for the subset mappings use most:
 * field paths, literals, comparisons, and/or, `in`, `? :`, `&`, and the mapping functions.
 * JSONata's interpreter is asynchronous and costs tens of microseconds an expression; these
 * closures cost nanoseconds. Anything outside the subset returns undefined and stays with
 * the interpreter. Semantics follow JSONata's (a comparison with a missing value is false,
 * and/or/? : use JSONata's boolean cast); native-expression.test.ts checks them against it.
 */
export type NativeEvaluator = (context: Record<string, unknown>) => unknown;

interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  procedure?: AstNode;
  arguments?: AstNode[];
  expressions?: AstNode[];
  lhs?: AstNode;
  rhs?: AstNode;
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  stages?: unknown;
  predicate?: unknown;
  group?: unknown;
  focus?: unknown;
  index?: unknown;
  tuple?: unknown;
  keepArray?: unknown;
}

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  ...(decimalFunctions as Record<string, (...args: unknown[]) => unknown>),
  ...(timeFunctions as Record<string, (...args: unknown[]) => unknown>),
  ...(textFunctions as Record<string, (...args: unknown[]) => unknown>),
  fromMillis: (ms: unknown) => (ms === undefined ? undefined : new Date(ms as number).toISOString()),
};

/** JSONata's $boolean. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some(truthy);
  switch (typeof value) {
    case 'string':
      return value.length > 0;
    case 'number':
      return value !== 0;
    case 'boolean':
      return value;
    case 'object':
      return Object.keys(value).length > 0;
    default:
      return false;
  }
}

function concatText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const isPlainStep = (s: AstNode) =>
  s.type === 'name' &&
  s.stages === undefined &&
  s.predicate === undefined &&
  s.group === undefined &&
  s.focus === undefined &&
  s.index === undefined &&
  s.tuple === undefined &&
  s.keepArray === undefined;

export function compileNative(node: AstNode): NativeEvaluator | undefined {
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      const v = node.value;
      return () => v;
    }
    case 'path': {
      if (!node.steps?.every(isPlainStep)) return undefined;
      const names = node.steps.map((s) => String(s.value));
      return (context) => {
        let v: unknown = context;
        for (const n of names) {
          if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return undefined;
          v = (v as Record<string, unknown>)[n];
        }
        return v === null ? null : v;
      };
    }
    case 'block': {
      if (node.expressions?.length !== 1) return undefined;
      return compileNative(node.expressions[0]!);
    }
    case 'condition': {
      const c = node.condition && compileNative(node.condition);
      const t = node.then && compileNative(node.then);
      const e = node.else ? compileNative(node.else) : () => undefined;
      if (!c || !t || !e) return undefined;
      return (x) => (truthy(c(x)) ? t(x) : e(x));
    }
    case 'function': {
      const name = node.procedure?.type === 'variable' ? String(node.procedure.value) : '';
      const fn = FUNCTIONS[name];
      const args = (node.arguments ?? []).map(compileNative);
      if (!fn || args.some((a) => a === undefined)) return undefined;
      const compiled = args as NativeEvaluator[];
      return (x) => fn(...compiled.map((a) => a(x)));
    }
    case 'unary': {
      if (node.value !== '[') return undefined;
      const items = (node.expressions ?? []).map(compileNative);
      if (items.some((i) => i === undefined)) return undefined;
      const compiled = items as NativeEvaluator[];
      return (x) => compiled.map((i) => i(x)).filter((v) => v !== undefined);
    }
    case 'binary':
      return compileBinary(node);
    default:
      return undefined;
  }
}

function compileBinary(node: AstNode): NativeEvaluator | undefined {
  const l = node.lhs && compileNative(node.lhs);
  const r = node.rhs && compileNative(node.rhs);
  if (!l || !r) return undefined;
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  switch (node.value) {
    case 'and':
      return (x) => truthy(l(x)) && truthy(r(x));
    case 'or':
      return (x) => truthy(l(x)) || truthy(r(x));
    case '=':
    case '!=': {
      const negate = node.value === '!=';
      return (x) => {
        const a = l(x);
        const b = r(x);
        if (a === undefined || b === undefined) return false;
        if (!scalar(a) || !scalar(b)) throw new Error('native comparison of non-scalar values');
        return negate ? a !== b : a === b;
      };
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const op = node.value;
      return (x) => {
        const a = l(x);
        const b = r(x);
        if (a === undefined || b === undefined) return false;
        if (!(
          (typeof a === 'number' && typeof b === 'number') ||
          (typeof a === 'string' && typeof b === 'string')
        )) {
          throw new Error(
            `the values of "${op}" must both be numbers or both strings, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`,
          );
        }
        return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
      };
    }
    case 'in':
      return (x) => {
        const a = l(x);
        if (a === undefined) return false;
        const list = r(x);
        return (Array.isArray(list) ? list : [list]).some((v) => v === a);
      };
    case '&':
      return (x) => concatText(l(x)) + concatText(r(x));
    default:
      return undefined;
  }
}
