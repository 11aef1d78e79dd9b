// The contract of a source format: how the records of a raw topic are read and what identifies
// the change each one carries. The mapping compiler asks a format through this interface and
// never by name, so a new format is one module and one line in formats.ts.
import type { TSchema } from '@sinclair/typebox';
import type { ChangePosition } from '../canonical/build.js';

/** One record of a raw topic, as the mapper hands it over. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Broker timestamp, milliseconds since the epoch, as a decimal string; absent in mapping tests. */
  timestamp?: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
}

/** The names a mapping's expressions see for one record (`after`, `value`, `record`, `headers`, ...). */
export type RecordValues = Record<string, unknown>;

/**
 * What the mapping evaluated to identify a change, for the keys its format takes: `position` and
 * `sequence` where the mapping identifies changes, `identity` where it refines the format's own.
 */
export interface DeclaredIdentity {
  position?: string;
  sequence?: string;
  identity?: { keyword: string } | { value: string };
}

/** A record read: the values for the expressions, and how to identify its change. */
export interface ReadRecord {
  values: RecordValues;
  /** Throws UnidentifiableChange when the record does not carry what identifies its change. */
  identify(declared: DeclaredIdentity): ChangePosition;
}

/** Reads the records of one mapping; built once per mapping by SourceFormat.prepare. */
export interface FormatReader {
  /**
   * The record's values, or why it is skipped (a tombstone, a heartbeat, an op the mapping does
   * not handle). Throws UnreadableRecord, or a format's own unrecoverable error (a mainframe
   * record that does not decode), naming the field and the byte offset where it can.
   */
  read(record: SourceRecord): ReadRecord | { skip: string };
}

/** The part of a mapping file a format reads (mapping/format.ts declares the file's syntax). */
export interface FormatMapping {
  name: string;
  /** The mapping file, for references relative to it (a copybook). */
  file: string;
  source: { format: string; [key: string]: unknown };
  /** The mapping's `ops`, for a format that declares `ops`. */
  ops?: readonly string[];
}

export interface FormatEnvironment {
  /** Reads a file named in a mapping, relative to the mapping's file: the caller does the I/O. */
  readRelative: (fromFile: string, ref: string) => Buffer | undefined;
}

/**
 * A problem of a mapping's format options: the path inside the mapping and what is wrong.
 * `plain`: the message names what it is about itself, so it is printed without the path.
 */
export interface FormatProblem {
  path: string;
  message: string;
  plain?: boolean;
}

/** A re-reading of a test input that `mappings test` maps too, to check event ids. */
export interface IdentityProbe {
  /** The message value (JSON) of the re-reading. */
  value: unknown;
  /**
   * `same-change`: the same change read again; where it makes the same event, the id must be
   * the same. `other-change`: another change; no id may be shared.
   */
  expect: 'same-change' | 'other-change';
  /** How a problem names the two readings: "from op c and from a snapshot read of the same row". */
  describe: string;
  /** What to do when ids differ that should not. */
  fix?: string;
}

export interface SourceFormat {
  /** The value of `source.format` in a mapping file. */
  readonly name: string;
  /** What a record of this format is, for the mapping schema. */
  readonly description: string;
  /**
   * Who says what identifies a change:
   * - `mapping`: the record carries no identity; the mapping gives `source.position` (required)
   *   and `source.sequence` (optional) expressions;
   * - `record`: the format reads it from the record (`from` names where, for messages), and the
   *   mapping may refine it with `source.identity` if `refinement` says how.
   */
  readonly identity:
    | { by: 'mapping' }
    | {
        by: 'record';
        from: string;
        refinement?: { keywords: readonly string[]; description: string };
      };
  /** The mapping's top-level `ops`: which kinds of change this format tells apart. */
  readonly ops?: { values: readonly string[]; description: string };
  /** A block of options in the mapping's `source` (fixed-width: `record`), with its schema. */
  readonly options?: { key: string; schema: TSchema };
  /**
   * Checks a mapping's options and builds its reader, once at load. The mapping file has been
   * validated against the schema, options included.
   */
  prepare(
    mapping: FormatMapping,
    env: FormatEnvironment,
  ): { reader?: FormatReader; problems: FormatProblem[] };
  /** Re-readings of a test input that check the format's identity (docs/mappings.md, "Identity"). */
  identityProbes?(value: unknown, mapping: { refinesIdentity: boolean }): IdentityProbe[];
}

/**
 * A record a format cannot read (a value that is not JSON, not a Debezium change event). The
 * mapping compiler reports it as a mapping error of that field: the record goes to the
 * dead-letter topic with the reason.
 */
export class UnreadableRecord extends Error {
  constructor(
    message: string,
    readonly context: { field: string; [extra: string]: unknown },
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A record read but whose change cannot be identified (no key, no log position): the mapping
 * compiler reports it as a mapping error, and the record goes to the dead-letter topic.
 */
export class UnidentifiableChange extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The headers as text, as every format shows them to expressions. */
/** The record's headers as text, in their order (a loop: no arrays of entries per record). */
export function headerText(headers: Record<string, Buffer | undefined>): Record<string, string> {
  const text: Record<string, string> = {};
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    text[k] = v === undefined ? '' : v.toString('utf8');
  }
  return text;
}

/** Parses JSON bytes; null stays null (a tombstone, or a record without a key). */
export function parseJson(bytes: Buffer | null, field: 'key' | 'value'): unknown {
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (e) {
    throw new UnreadableRecord(`the message ${field} is not JSON: ${(e as Error).message}`, { field });
  }
}

/**
 * The identity a mapping declares with `source.position` and `source.sequence`, for formats whose
 * records carry none (json, fixed-width): system and entity default to the topic, the sequence
 * to the position, and nothing is a snapshot.
 */
export function declaredPosition(declared: DeclaredIdentity, topic: string): ChangePosition {
  if (declared.position === undefined)
    throw new UnidentifiableChange('the mapping declares no "position" for this format');
  return {
    system: topic,
    entity: topic,
    change: declared.position,
    sequence: declared.sequence ?? declared.position,
    snapshot: false,
  };
}

/** Keys of a mapping's `source` that every format shares: no format's options may take them. */
const SHARED_SOURCE_KEYS = new Set(['topic', 'topics', 'topicPattern', 'format', 'system', 'entity']);
const IDENTITY_KEYS = new Set(['position', 'sequence', 'identity']);

/**
 * The formats a mapping may name, by name. The shipped ones are in formats.ts; a test or a
 * later issue builds another registry with `with(format)`.
 */
export class FormatRegistry {
  private readonly byName = new Map<string, SourceFormat>();

  constructor(formats: readonly SourceFormat[]) {
    const optionKeys = new Map<string, string>();
    for (const format of formats) {
      // A clash is a bug in the list of formats, found when the module loads: not a user error.
      if (this.byName.has(format.name)) throw new Error(`two source formats are named ${format.name}`);
      const key = format.options?.key;
      if (key !== undefined) {
        const owner = optionKeys.get(key);
        if (SHARED_SOURCE_KEYS.has(key) || IDENTITY_KEYS.has(key) || owner !== undefined)
          throw new Error(
            `source format ${format.name} declares options "${key}", a key ${owner ? `of format ${owner}` : 'every mapping has'}`,
          );
        optionKeys.set(key, format.name);
      }
      this.byName.set(format.name, format);
    }
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  all(): SourceFormat[] {
    return [...this.byName.values()];
  }

  get(name: string): SourceFormat | undefined {
    return this.byName.get(name);
  }

  /** This registry and one more format. */
  with(format: SourceFormat): FormatRegistry {
    return new FormatRegistry([...this.all(), format]);
  }
}

/** "a", "a and b", "a, b and c": names in a sentence. */
export function listed(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
