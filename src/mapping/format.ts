import { Type, type Static } from '@sinclair/typebox';

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
  },
  { additionalProperties: false },
);

const FieldLayoutSchema = Type.Object(
  {
    name: Type.String(),
    offset: Type.Integer({ minimum: 0 }),
    length: Type.Integer({ minimum: 1 }),
    type: Type.Union([
      Type.Literal('text'),
      Type.Literal('zoned'),
      Type.Literal('packed'),
      Type.Literal('binary'),
    ]),
    scale: Type.Optional(Type.Integer({ minimum: 0 })),
    signed: Type.Optional(Type.Boolean()),
    digits: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const SourceSchema = Type.Object(
  {
    topic: Type.Optional(Type.String({ description: 'the raw topic this mapping reads' })),
    topics: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'several raw topics' })),
    topicPattern: Type.Optional(Type.String({ description: 'a regular expression over topic names' })),
    format: Type.Union([Type.Literal('debezium-json'), Type.Literal('json'), Type.Literal('fixed-width')], {
      description:
        'debezium-json: a Debezium change event, with or without the schema envelope; json: any JSON value; fixed-width: a mainframe record',
    }),
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
        'json and fixed-width: ${expression} identifying the change (MQ message id, a sequence number)',
      ),
    ),
    identity: Type.Optional(
      Type.String({
        description:
          'debezium-json: what identifies a change of the table, so that the stream, a snapshot, a re-snapshot or a replay of the same change give the same event id. Default: an insert or snapshot read is the row itself (its key), an update or delete is a distinct change (key and log position): right for insert-only tables. "row": every event this mapping emits from a row happens once in its life (a transfer ships once and is received once), whichever op carried it. "${expression}": the key and a value of the row that changes with every change (an update time, a version), e.g. ${after.updated_at}',
      }),
    ),
    sequence: Type.Optional(
      Template('json and fixed-width: ${expression} that sorts in source order; default: position'),
    ),
    record: Type.Optional(
      Type.Object(
        {
          copybook: Type.Optional(
            Type.String({ description: 'COBOL copybook, relative to the mapping file' }),
          ),
          recordName: Type.Optional(Type.String({ description: 'which 01 record of the copybook' })),
          layout: Type.Optional(
            Type.Array(FieldLayoutSchema, { description: 'explicit offsets instead of a copybook' }),
          ),
          ccsid: Type.Union([Type.Literal(37), Type.Literal(500), Type.Literal(1047), Type.Literal(1140)], {
            description: 'EBCDIC code page of text fields',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const ExpectedEventSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('movement'), Type.Literal('level')]),
    sku: Type.Optional(Type.String()),
    location: Type.Optional(Type.String()),
    quantity: Type.Optional(Type.String()),
    unit: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    occurredAt: Type.Optional(Type.String()),
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

export const MappingFileSchema = Type.Object(
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
    source: SourceSchema,
    ops: Type.Optional(
      Type.Array(Type.Union(['c', 'u', 'd', 'r', 't'].map((o) => Type.Literal(o))), {
        description:
          'debezium-json: the operations this mapping handles (c create, u update, d delete, r snapshot read, t truncate); others are skipped. Default [c, r]',
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
