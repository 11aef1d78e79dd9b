import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYamlScalar } from 'yaml';
import { ConfigError } from '../errors.js';
import { displayPath } from '../shared/display-path.js';
import {
  parseYamlWithPositions,
  pointer,
  positionOf,
  YamlSyntaxError,
  type SourcePosition,
} from '../shared/yaml-source.js';
import { ConfigSchema, type StocklineConfig } from './schema.js';

/** Environment variables that override config keys: STOCKLINE__STACK__KAFKA__PORT=29092. */
export const ENV_PREFIX = 'STOCKLINE__';

export interface LoadConfigOptions {
  /** Folder holding default.yaml and <environment>.yaml. */
  dir?: string;
  /** Selects <environment>.yaml; defaults to STOCKLINE_ENV, then "development". */
  environment?: string;
  env?: NodeJS.ProcessEnv;
}

type Origin = SourcePosition | { env: string };
type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

function describeOrigin(origin: Origin | undefined): string {
  if (!origin) return 'no file sets it';
  if ('env' in origin) return `environment variable ${origin.env}`;
  return `${origin.file}:${origin.line}:${origin.column}`;
}

/** Deep merge in which later sources win and each leaf remembers who set it. */
function mergeInto(
  target: Plain,
  source: Plain,
  base: string[],
  origins: Map<string, Origin>,
  originOf: (p: string) => Origin | undefined,
): void {
  for (const [key, value] of Object.entries(source)) {
    const p = [...base, key];
    const ptr = pointer(p);
    const o = originOf(ptr);
    if (o) origins.set(ptr, o);
    const existing = target[key];
    if (isPlain(value) && isPlain(existing)) mergeInto(existing, value, p, origins, originOf);
    else target[key] = structuredClone(value);
  }
}

interface SchemaNode {
  type?: string;
  writeOnly?: boolean;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** Maps STOCKLINE__STACK__KAFKA__HEAPMB onto the schema's own spelling (stack.kafka.heapMb). */
function envPath(name: string, schema: SchemaNode): string[] | undefined {
  const parts = name.slice(ENV_PREFIX.length).split('__');
  const result: string[] = [];
  let node: SchemaNode | undefined = schema;
  for (const part of parts) {
    const match: string | undefined = Object.keys(node?.properties ?? {}).find(
      (k) => k.toLowerCase() === part.toLowerCase().replace(/_/g, ''),
    );
    if (!match || !node?.properties) return undefined;
    result.push(match);
    node = node.properties[match];
  }
  return result;
}

function schemaAt(schema: SchemaNode, keys: string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const k of keys) node = node?.properties?.[k];
  return node;
}

function envOverrides(env: NodeJS.ProcessEnv, origins: Map<string, Origin>, errors: string[]): Plain {
  const result: Plain = {};
  const schema = ConfigSchema as unknown as SchemaNode;
  for (const [rawName, rawValue] of Object.entries(env)) {
    if (!rawName.startsWith(ENV_PREFIX) || rawValue === undefined) continue;
    // NAME_FILE=/run/secrets/x reads the value from a secret file instead of the environment.
    const fromFile = rawName.endsWith('_FILE');
    const name = fromFile ? rawName.slice(0, -'_FILE'.length) : rawName;
    const keys = envPath(name, schema);
    if (!keys) {
      errors.push(
        `environment variable ${rawName}: no config key matches it (keys are documented in docs/config.md)`,
      );
      continue;
    }
    let text = rawValue;
    if (fromFile) {
      try {
        text = readFileSync(rawValue, 'utf8').trimEnd();
      } catch (e) {
        errors.push(
          `environment variable ${rawName}: cannot read secret file ${rawValue} (${(e as Error).message})`,
        );
        continue;
      }
    }
    const target = schemaAt(schema, keys);
    let value: unknown;
    if (target?.type === 'string') value = text;
    else if (target?.type === 'array' && !text.trim().startsWith('['))
      value = text.split(',').map((s) => s.trim());
    else {
      try {
        value = parseYamlScalar(text) as unknown;
      } catch {
        value = text;
      }
    }
    let cursor = result;
    keys.slice(0, -1).forEach((k) => {
      cursor[k] ??= {};
      cursor = cursor[k] as Plain;
    });
    cursor[keys[keys.length - 1]!] = value;
    origins.set(pointer(keys), { env: rawName });
  }
  return result;
}

function explain(error: ErrorObject): { path: string; message: string } {
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty);
      return {
        path: `${error.instancePath}/${extra}`,
        message: `unknown key "${extra}"`,
      };
    }
    case 'required':
      return {
        path: `${error.instancePath}/${String(error.params.missingProperty)}`,
        message: 'is required but missing',
      };
    case 'enum':
    case 'anyOf':
      return { path: error.instancePath, message: `must be one of the allowed values` };
    default:
      return { path: error.instancePath, message: error.message ?? 'is invalid' };
  }
}

function allowedKeysAt(ptr: string): string[] {
  const keys = ptr.split('/').filter(Boolean).slice(0, -1);
  const node = schemaAt(ConfigSchema, keys);
  return Object.keys(node?.properties ?? {});
}

function valueAt(config: unknown, ptr: string): unknown {
  let v: unknown = config;
  for (const k of ptr.split('/').filter(Boolean))
    v = isPlain(v) ? v[k] : Array.isArray(v) ? v[Number(k)] : undefined;
  return v;
}

/** A key whose value is a secret (writeOnly in the schema), or that lies inside one. */
function isSecret(ptr: string): boolean {
  const keys = ptr.split('/').filter(Boolean);
  return keys.some((_, i) => schemaAt(ConfigSchema, keys.slice(0, i + 1))?.writeOnly === true);
}

export const REDACTED = '[redacted]';

/**
 * A copy of the configuration for display: every secret (writeOnly in the schema) that is
 * set shows as [redacted]; an empty one stays empty, so that "not set" remains visible.
 */
export function redactSecrets(config: Readonly<StocklineConfig>): StocklineConfig {
  const copy = structuredClone(config) as unknown as Plain;
  const walk = (node: Plain, keys: string[]) => {
    for (const [k, v] of Object.entries(node)) {
      const p = [...keys, k];
      if (isPlain(v)) walk(v, p);
      else if (isSecret(pointer(p)) && v !== '' && v !== undefined) node[k] = REDACTED;
    }
  };
  walk(copy, []);
  return copy as unknown as StocklineConfig;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile<StocklineConfig>(ConfigSchema);

/**
 * Reads config/default.yaml, then config/<environment>.yaml, then STOCKLINE__* variables,
 * validates the result against the schema and returns it frozen. Every problem is reported
 * at once, each with the key, where it was set and what is expected.
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<StocklineConfig> {
  const env = options.env ?? process.env;
  const dir = options.dir ?? env.STOCKLINE_CONFIG_DIR ?? path.resolve('config');
  const environment = options.environment ?? env.STOCKLINE_ENV ?? 'development';
  const files = [path.join(dir, 'default.yaml'), path.join(dir, `${environment}.yaml`)];
  const origins = new Map<string, Origin>();
  const merged: Plain = {};
  const problems: string[] = [];

  if (!existsSync(files[0]!)) {
    throw new ConfigError(
      `config file ${files[0]} is missing; run from the project folder or set STOCKLINE_CONFIG_DIR`,
      {
        file: files[0],
      },
    );
  }
  for (const file of files) {
    if (!existsSync(file)) continue;
    const relative = displayPath(file);
    try {
      const parsed = parseYamlWithPositions(readFileSync(file, 'utf8'), relative);
      if (parsed.value === null || parsed.value === undefined) continue;
      if (!isPlain(parsed.value)) {
        problems.push(`${relative}:1:1: the file must hold a mapping of keys, not ${typeof parsed.value}`);
        continue;
      }
      mergeInto(merged, parsed.value, [], origins, (p) => parsed.positions.get(p));
    } catch (e) {
      if (e instanceof YamlSyntaxError) {
        const { file: f, line, column } = e.position;
        // The parser quotes the text it stumbled on, which may be a secret: position and kind suffice.
        const lines = e.lines().map((l) => l.replace(/ in YAML stream: ".*"$/, ' in YAML stream'));
        throw new ConfigError(
          lines.length === 1
            ? lines[0]!
            : `${relative} is not valid YAML (${lines.length} problems):\n  - ${lines.join('\n  - ')}`,
          { file: f, line, column, problems: lines },
          e,
        );
      }
      throw e;
    }
  }
  mergeInto(merged, envOverrides(env, origins, problems), [], origins, (p) => origins.get(p));

  if (!validate(merged)) {
    for (const error of validate.errors ?? []) {
      const { path: ptr, message } = explain(error);
      const origin = positionOf(origins as Map<string, SourcePosition>, ptr) as Origin | undefined;
      const key = ptr.split('/').filter(Boolean).join('.') || '(root)';
      let line = `${key} ${message} (set at ${describeOrigin(origin)})`;
      if (error.keyword === 'additionalProperties')
        line += `; expected one of: ${allowedKeysAt(ptr).join(', ')}`;
      else if (isSecret(ptr)) line += '; got a secret, not shown';
      else if (error.keyword !== 'required') line += `; got ${JSON.stringify(valueAt(merged, ptr))}`;
      const schema = error.parentSchema as { description?: string } | undefined;
      if (schema?.description && error.keyword !== 'additionalProperties') line += ` — ${schema.description}`;
      problems.push(line);
    }
  }
  if (problems.length > 0) {
    const unique = [...new Set(problems)];
    const first = origins.get(unique[0] ?? '') as SourcePosition | undefined;
    throw new ConfigError(
      `invalid configuration (${unique.length} problem${unique.length === 1 ? '' : 's'}):\n  - ${unique.join('\n  - ')}`,
      { file: first?.file ?? files[0], problems: unique },
    );
  }
  return deepFreeze(merged as StocklineConfig);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
