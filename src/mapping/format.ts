import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { listed, type FormatRegistry } from '../sources/format.js';
import { SOURCE_FORMATS } from '../sources/formats.js';

/**
 * The mapping file format, declared once: it validates mapping files at load, is written to
 * schemas/mapping.schema.json (referenced from each mapping for editor completion) and
 * documents every key (docs/mappings.md).
 */
const Template = (description: string) => Type.String({ description });

export const LookupValueSchema = Type.Object(
  {
    lookup: Type.String({ description: 'lookup table name (mappings/lookups/<name>.csv or .yaml)' }),
    key: Type.Record(Type.String(), Type.String(), {
      description: 'key columns of the table and the value (a constant or a ${expression}) each must equal',
    }),
    field: Type.Optional(
      Type.String({ description: 'the column to return; optional when the table has one non-key column' }),
    ),
  },
  { additionalProperties: false },
);

const Value = (description: string) =>
  Type.Union([Type.String(), Type.Number(), Type.Boolean(), LookupValueSchema], {
    description: `${description}. A constant, a "\${JSONata expression}" (a plain path like \${after.sku} compiles to a direct accessor), text mixing both, or a lookup`,
  });

export const EmitSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('movement'), Type.Literal('level')], {
      description: 'movement: a signed change of quantity; level: the absolute quantity as of occurredAt',
    }),
    when: Type.Optional(Template('emit only when this ${expression} is true')),
    sku: Value('the SKU'),
    location: Value('the stockline location id'),
    quantity: Value(
      'exact decimal quantity (use $dadd, $dsub, $dmul, $dneg; JSONata arithmetic is refused here)',
    ),
    sign: Type.Optional(Value('1 or -1, multiplied into the quantity (default 1)')),
    unit: Value('unit of measure of quantity'),
    toBaseUnit: Type.Optional(
      Type.Object(
        {
          table: Type.String({
            description:
              'lookup table with columns sku, unit, base_unit, factor (sku "*" = any); quantity × factor, unit -> base_unit',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    reason: Value(
      'sale, return, receipt, goods_issue, transfer_out, transfer_in, adjustment, count or snapshot',
    ),
    occurredAt: Value(
      'ISO 8601 time with offset when it happened ($db2Timestamp, $sapDateTime, $fromEpochMicros, $fromMillis help)',
    ),
    stockType: Type.Optional(
      Value(
        'which stock of the location changed, for sources that keep several: unrestricted, quality_inspection, blocked, restricted, returns or in_transfer; an empty value leaves it out',
      ),
    ),
    specialStock: Type.Optional(
      Value("the source's special stock indicator (SAP SOBKZ); an empty value (own stock) leaves it out"),
    ),
    postingDate: Type.Optional(
      Value(
        'ISO 8601 date the source books the change on ($sapDate turns SAP BUDAT into one); an empty value leaves it out',
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * The keys of `source`, with the formats of `formats`: their names, the identity keys they take
 * and their blocks of options (fixed-width: `record`). The type knows only the keys every
 * mapping has; a format reads its own options block (sources/format.ts).
 */
function sourceSchema(formats: FormatRegistry) {
  const all = formats.all();
  const identifiedByMapping = listed(all.filter((f) => f.identity.by === 'mapping').map((f) => f.name));
  const refinements = all.flatMap((f) =>
    f.identity.by === 'record' && f.identity.refinement
      ? [`${f.name}: ${f.identity.refinement.description}`]
      : [],
  );
  const shared = {
    topic: Type.Optional(Type.String({ description: 'the raw topic this mapping reads' })),
    topics: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'several raw topics' })),
    topicPattern: Type.Optional(Type.String({ description: 'a regular expression over topic names' })),
    format: Type.Union(
      formats.names.map((name) => Type.Literal(name)),
      { description: all.map((f) => `${f.name}: ${f.description}`).join('; ') },
    ),
    system: Type.Optional(
      Type.String({
        description:
          "source system name; debezium-json defaults to the connector's topic prefix (source.name)",
      }),
    ),
    entity: Type.Optional(
      Type.String({ description: 'what changed (queue or table); debezium-json: db.schema.table' }),
    ),
    position: Type.Optional(
      Template(
        `${identifiedByMapping}: \${expression} identifying the change (MQ message id, a sequence number)`,
      ),
    ),
    identity: Type.Optional(Type.String({ description: refinements.join('; ') })),
    sequence: Type.Optional(
      Template(`${identifiedByMapping}: \${expression} that sorts in source order; default: position`),
    ),
  };
  const options = Object.fromEntries(
    all.flatMap((f) => (f.options ? [[f.options.key, Type.Optional(f.options.schema)]] : [])),
  ) as Record<string, TSchema>;
  // The options blocks follow the shared keys; their types are the formats' own business.
  return Type.Object({ ...shared, ...options }, { additionalProperties: false });
}

const ExpectedEventSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('movement'), Type.Literal('level')]),
    sku: Type.Optional(Type.String()),
    location: Type.Optional(Type.String()),
    quantity: Type.Optional(Type.String()),
    unit: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    occurredAt: Type.Optional(Type.String()),
    stockType: Type.Optional(Type.String({ description: 'data.stockType; "" = absent' })),
    specialStock: Type.Optional(Type.String({ description: 'data.specialStock; "" = absent' })),
    postingDate: Type.Optional(Type.String({ description: 'data.postingDate; "" = absent' })),
    position: Type.Optional(
      Type.String({ description: 'what identifies the change (data.source.position)' }),
    ),
    sequence: Type.Optional(Type.String()),
    system: Type.Optional(Type.String()),
    snapshot: Type.Optional(Type.Boolean({ description: 'read by a snapshot, not from the log' })),
  },
  { additionalProperties: false },
);

export const TestCaseSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    input: Type.Object(
      {
        topic: Type.Optional(Type.String({ description: "default: the mapping's first topic" })),
        key: Type.Optional(Type.Unknown({ description: 'the message key (JSON)' })),
        value: Type.Optional(
          Type.Unknown({
            description: 'the message value: JSON (an object is encoded), or null for a tombstone',
          }),
        ),
        hex: Type.Optional(
          Type.String({ pattern: '^([0-9A-Fa-f]{2}|\\s)*$', description: 'the message value as hex bytes' }),
        ),
        file: Type.Optional(
          Type.String({ description: 'the message value from a file, relative to the mapping' }),
        ),
        headers: Type.Optional(Type.Record(Type.String(), Type.String())),
      },
      { additionalProperties: false },
    ),
    expect: Type.Optional(
      Type.Array(ExpectedEventSchema, { description: 'the canonical events, in order; [] = skipped' }),
    ),
    expectError: Type.Optional(Type.String({ description: 'text the mapping error must contain' })),
    expectSkip: Type.Optional(Type.String({ description: 'text the skip reason must contain' })),
    sameIdsAs: Type.Optional(
      Type.String({
        description:
          'the name of another test of this mapping: both are the same source change (a stream insert and its snapshot read), so their events must have the same ids',
      }),
    ),
    differentIdsFrom: Type.Optional(
      Type.String({
        description:
          'the name of another test of this mapping: two different changes (two updates of a row), so no event id may be shared',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The mapping file, for the source formats of `formats`. */
export function mappingFileSchema(formats: FormatRegistry) {
  const withOps = formats.all().flatMap((f) => (f.ops ? [{ format: f.name, ...f.ops }] : []));
  const ops = [...new Set(withOps.flatMap((f) => f.values))];
  return Type.Object(
    {
      $schema: Type.Optional(Type.String()),
      name: Type.String({
        pattern: '^[a-z0-9][a-z0-9-]*$',
        description: 'unique name, part of every event id: renaming changes ids',
      }),
      description: Type.Optional(Type.String()),
      enabled: Type.Optional(
        Type.Boolean({
          description: 'false: validated and tested, but the mapper does not run it',
          default: true,
        }),
      ),
      source: sourceSchema(formats),
      ops: Type.Optional(
        Type.Array(Type.Union(ops.map((o) => Type.Literal(o))), {
          description: withOps.map((f) => `${f.format}: ${f.description}`).join('; '),
        }),
      ),
      filter: Type.Optional(Template('${expression}: events for which it is false are skipped')),
      emit: Type.Array(EmitSchema, {
        minItems: 1,
        description: 'the canonical events made from one input event',
      }),
      tests: Type.Optional(Type.Array(TestCaseSchema)),
    },
    {
      additionalProperties: false,
      title: 'stockline mapping',
      $id: 'https://stockline.dev/schemas/mapping.json',
    },
  );
}

/** The mapping file with the shipped source formats: validates mapping files and is written to schemas/. */
export const MappingFileSchema = mappingFileSchema(SOURCE_FORMATS);

export const MappingTestFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    mapping: Type.Optional(
      Type.String({ description: 'default: the mapping file of the same name without .test' }),
    ),
    tests: Type.Array(TestCaseSchema, { minItems: 1 }),
  },
  { additionalProperties: false, title: 'stockline mapping tests' },
);

export type MappingFile = Static<typeof MappingFileSchema>;
export type EmitSpec = Static<typeof EmitSchema>;
export type TestCase = Static<typeof TestCaseSchema>;
export type MappingTestFile = Static<typeof MappingTestFileSchema>;
