import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/** Where a value came from, so that an error can point at it. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface ParsedYaml {
  value: unknown;
  /** JSON-pointer-like paths ("/stack/kafka/port") to the position of the key (or item) that set them. */
  positions: Map<string, SourcePosition>;
}

/** One problem of a YAML text, where it is. */
export interface YamlProblem {
  message: string;
  position: SourcePosition;
}

/**
 * A text that is not valid YAML, or that expands too much. `problems` holds every syntax
 * error the parser found, each at its own line and column; `message` and `position` are
 * those of the first.
 */
export class YamlSyntaxError extends Error {
  readonly position: SourcePosition;

  constructor(readonly problems: readonly YamlProblem[]) {
    super(problems[0]?.message ?? 'not valid YAML');
    this.name = new.target.name;
    this.position = problems[0]?.position ?? { file: '', line: 1, column: 1 };
  }

  /** One line per problem: "file:line:column: not valid YAML: message". */
  lines(what = 'YAML'): string[] {
    return this.problems.map(
      (p) => `${p.position.file}:${p.position.line}:${p.position.column}: not valid ${what}: ${p.message}`,
    );
  }
}

/**
 * Most aliases a document may expand: a mapping or config file needs a handful; a
 * "billion laughs" document needs millions and would exhaust memory.
 */
export const MAX_ALIAS_COUNT = 100;

export function pointer(path: readonly (string | number)[]): string {
  return path.length === 0
    ? ''
    : '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/**
 * Parses YAML (JSON is YAML too) and remembers the line and column of every key, because
 * a config error that does not say where is a config error people cannot fix.
 */
export function parseYamlWithPositions(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    // prettyErrors: false leaves linePos unset; the offset (pos) is always there.
    throw new YamlSyntaxError(
      doc.errors.map((e) => ({ message: e.message.split('\n')[0] ?? e.message, position: at(e.pos[0]) })),
    );
  }
  const positions = new Map<string, SourcePosition>();
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const item of node.items) {
        const keyNode = item.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const childPath = [...path, key];
        if (keyNode?.range) positions.set(pointer(childPath), at(keyNode.range[0]));
        walk(item.value, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const childPath = [...path, index];
        const range = (item as Node | null)?.range;
        if (range) positions.set(pointer(childPath), at(range[0]));
        walk(item, childPath);
      });
    }
  };
  if (doc.contents?.range) positions.set('', at(doc.contents.range[0]));
  walk(doc.contents, []);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  } catch (e) {
    // The yaml package refuses a document whose aliases expand beyond maxAliasCount.
    if (!(e instanceof ReferenceError) || !/alias count/i.test(e.message)) throw e;
    throw new YamlSyntaxError([
      {
        message: `its aliases (*name) expand to more than ${MAX_ALIAS_COUNT} nodes, refused as a resource exhaustion ("billion laughs") attack; write the values out instead of nesting aliases`,
        position: at(doc.contents?.range[0] ?? 0),
      },
    ]);
  }
  return { value, positions };
}

/** The position recorded for a path, or for its nearest ancestor that has one. */
export function positionOf(positions: Map<string, SourcePosition>, path: string): SourcePosition | undefined {
  let current = path;
  for (;;) {
    const found = positions.get(current);
    if (found) return found;
    if (current === '') return undefined;
    current = current.slice(0, current.lastIndexOf('/'));
  }
}
