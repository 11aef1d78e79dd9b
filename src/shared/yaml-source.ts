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

export class YamlSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

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
  const firstError = doc.errors[0];
  if (firstError) {
    const at = firstError.linePos?.[0];
    const position = { file, line: at?.line ?? 1, column: at?.col ?? 1 };
    throw new YamlSyntaxError(firstError.message.split('\n')[0] ?? firstError.message, position);
  }
  const positions = new Map<string, SourcePosition>();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
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
  return { value: doc.toJS() as unknown, positions };
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
