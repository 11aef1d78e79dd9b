import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { Type, type Static } from '@sinclair/typebox';
import { ConnectorConfigError } from '../errors.js';
import { displayPath } from '../shared/display-path.js';
import {
  parseYamlWithPositions,
  pointer,
  positionOf,
  YamlSyntaxError,
  type SourcePosition,
} from '../shared/yaml-source.js';

/** The shape of a connector file; connectors/connector.schema.json is generated from it. */
export const ConnectorFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      description: 'connector name in Kafka Connect',
    }),
    config: Type.Intersect([
      Type.Object({ 'connector.class': Type.String({ minLength: 1 }) }),
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    ]),
  },
  { additionalProperties: false, title: 'stockline Kafka Connect connector file' },
);

type ConnectorFileContent = Static<typeof ConnectorFileSchema>;

export interface ConnectorFile {
  name: string;
  file: string;
  connectorClass: string;
  /** Config with every placeholder resolved and every value a string, as Connect wants it. */
  config: Record<string, string>;
  /** Where each config key is in the file, for errors Kafka Connect reports per field. */
  positions: Map<string, SourcePosition>;
}

const validateShape = new Ajv({ allErrors: true, strict: false }).compile<ConnectorFileContent>(
  ConnectorFileSchema,
);

/** ${NAME} or ${NAME:-default}. Kafka Connect's own ${provider:path} references are left alone. */
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function resolvePlaceholders(
  value: string,
  env: Record<string, string | undefined>,
  onMissing: (name: string) => void,
): string {
  return value.replace(PLACEHOLDER, (whole, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    onMissing(name);
    return whole;
  });
}

/**
 * Reads, checks and resolves one connector file; every problem of the file is reported at once.
 * A placeholder named in `unresolvedAllowed` (a secret declared but not generated yet, for the
 * local checks) is left as it is instead of being a problem.
 */
export function loadConnectorFile(
  file: string,
  env: Record<string, string | undefined>,
  unresolvedAllowed: ReadonlySet<string> = new Set(),
): ConnectorFile {
  const display = displayPath(file);
  let parsed;
  try {
    parsed = parseYamlWithPositions(readFileSync(file, 'utf8'), display);
  } catch (e) {
    if (e instanceof YamlSyntaxError) {
      const { line, column } = e.position;
      throw new ConnectorConfigError(
        `${display}:${line}:${column}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${e.message}`,
        {
          file: display,
          line,
          column,
        },
      );
    }
    throw e;
  }
  const problems: string[] = [];
  const at = (ptr: string) => {
    const p = positionOf(parsed.positions, ptr);
    return p ? `${p.file}:${p.line}:${p.column}` : display;
  };
  if (!validateShape(parsed.value)) {
    for (const error of validateShape.errors ?? []) {
      const where =
        error.keyword === 'additionalProperties'
          ? `${error.instancePath}/${String(error.params.additionalProperty)}`
          : error.keyword === 'required'
            ? error.instancePath
            : error.instancePath;
      const what =
        error.keyword === 'additionalProperties'
          ? `unknown key "${String(error.params.additionalProperty)}"; a connector file has "name" and "config"`
          : error.keyword === 'required'
            ? `"${String(error.params.missingProperty)}" is required`
            : `${error.instancePath.split('/').filter(Boolean).join('.') || 'file'} ${error.message ?? 'is invalid'}`;
      problems.push(`${at(where)}: ${what}`);
    }
    throw new ConnectorConfigError(
      `${display} is not a valid connector file:\n  - ${[...new Set(problems)].join('\n  - ')}`,
      {
        file: display,
        problems,
      },
    );
  }
  const content = parsed.value;
  const config: Record<string, string> = {};
  const positions = new Map<string, SourcePosition>();
  for (const [key, raw] of Object.entries(content.config)) {
    const ptr = pointer(['config', key]);
    const position = parsed.positions.get(ptr);
    if (position) positions.set(key, position);
    config[key] = resolvePlaceholders(String(raw), env, (name) => {
      if (unresolvedAllowed.has(name)) return;
      problems.push(
        `${at(ptr)}: ${key} uses \${${name}}, which is not set; set the environment variable ${name} or give a default as \${${name}:-value}`,
      );
    });
  }
  if (problems.length > 0) {
    throw new ConnectorConfigError(`${display} cannot be resolved:\n  - ${problems.join('\n  - ')}`, {
      file: display,
      problems,
    });
  }
  return {
    name: content.name,
    file: display,
    connectorClass: content.config['connector.class'],
    config,
    positions,
  };
}

export function connectorFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.schema.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Loads every connector file of a folder; all files' problems are reported together. */
export function loadConnectorFiles(
  dir: string,
  env: Record<string, string | undefined>,
  only: string[] = [],
  unresolvedAllowed: ReadonlySet<string> = new Set(),
): ConnectorFile[] {
  const loaded: ConnectorFile[] = [];
  const errors: ConnectorConfigError[] = [];
  for (const file of connectorFilesIn(dir)) {
    try {
      loaded.push(loadConnectorFile(file, env, unresolvedAllowed));
    } catch (e) {
      if (e instanceof ConnectorConfigError) errors.push(e);
      else throw e;
    }
  }
  const [single] = errors;
  if (errors.length === 1 && single) throw single;
  if (errors.length > 1)
    throw new ConnectorConfigError(errors.map((e) => e.message).join('\n'), {
      problems: errors.map((e) => e.message),
    });
  const names = new Map<string, string>();
  for (const c of loaded) {
    const other = names.get(c.name);
    if (other)
      throw new ConnectorConfigError(`${c.file}: connector name "${c.name}" is also used by ${other}`, {
        file: c.file,
      });
    names.set(c.name, c.file);
  }
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new ConnectorConfigError(
      `no connector file in ${dir} defines ${unknown.join(', ')}; known: ${[...names.keys()].join(', ')}`,
      {},
    );
  }
  return only.length > 0 ? loaded.filter((c) => only.includes(c.name)) : loaded;
}

const SECRET_KEY = /password|secret|token|credential|sasl\.jaas/i;

/** A copy safe to print or log: secret-looking keys are masked. */
export function redactConfig(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : v]),
  );
}
