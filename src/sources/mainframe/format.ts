// The fixed-width source format: mainframe records laid out by a COBOL copybook or explicit
// offsets, text in an EBCDIC code page. The mapping says what identifies each record
// (`source.position`, `source.sequence`).
import { Type, type Static } from '@sinclair/typebox';
import { StocklineError } from '../../errors.js';
import { declaredPosition, headerText, type FormatProblem, type SourceFormat } from '../format.js';
import { isSupportedCcsid, SUPPORTED_CCSIDS } from './codepages.js';
import { parseCopybook } from './copybook.js';
import { buildExplicitLayout } from './explicit-layout.js';
import type { RecordLayout } from './layout.js';
import { compileRecordDecoder, type RecordDecoder } from './record.js';

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

/** `source.record` of a fixed-width mapping. */
export const RecordOptionsSchema = Type.Object(
  {
    copybook: Type.Optional(Type.String({ description: 'COBOL copybook, relative to the mapping file' })),
    recordName: Type.Optional(Type.String({ description: 'which 01 record of the copybook' })),
    layout: Type.Optional(
      Type.Array(FieldLayoutSchema, { description: 'explicit offsets instead of a copybook' }),
    ),
    ccsid: Type.Union(
      SUPPORTED_CCSIDS.map((c) => Type.Literal(c)),
      { description: 'EBCDIC code page of text fields' },
    ),
  },
  { additionalProperties: false },
);
export type RecordOptions = Static<typeof RecordOptionsSchema>;

/** The record decoder a mapping's `source.record` describes, or the problems that prevent it. */
function recordDecoder(
  record: RecordOptions | undefined,
  mapping: { name: string; file: string },
  readRelative: (fromFile: string, ref: string) => Buffer | undefined,
  problems: FormatProblem[],
): RecordDecoder | undefined {
  if (!record || !isSupportedCcsid(record.ccsid)) return undefined;
  try {
    let layout: RecordLayout;
    if (record.copybook) {
      const bytes = readRelative(mapping.file, record.copybook);
      if (!bytes) {
        problems.push({
          path: '/source/record/copybook',
          message: `source.record.copybook ${record.copybook} does not exist (relative to ${mapping.file})`,
          plain: true,
        });
        return undefined;
      }
      // Copybooks are ASCII text; latin1 keeps every byte, so a stray one is reported, not lost.
      layout = parseCopybook(bytes.toString('latin1'), { file: record.copybook, record: record.recordName });
    } else if (record.layout) {
      layout = buildExplicitLayout(record.layout, { name: mapping.name });
    } else {
      problems.push({
        path: '/source/record',
        message: 'source.record needs a copybook or a layout',
        plain: true,
      });
      return undefined;
    }
    return compileRecordDecoder(layout, record.ccsid);
  } catch (e) {
    // CopybookError, LayoutError, CodePageError: their message names the file, line or field.
    if (e instanceof StocklineError) {
      problems.push({ path: '/source/record', message: e.message, plain: true });
      return undefined;
    }
    throw e;
  }
}

export const fixedWidthFormat: SourceFormat = {
  name: 'fixed-width',
  description: 'a mainframe record',
  identity: { by: 'mapping' },
  options: { key: 'record', schema: RecordOptionsSchema },

  prepare(mapping, env) {
    const problems: FormatProblem[] = [];
    // Validated against RecordOptionsSchema with the rest of the mapping file.
    const options = mapping.source.record as RecordOptions | undefined;
    const decoder = recordDecoder(options, mapping, env.readRelative, problems);
    if (!decoder) {
      problems.push({
        path: '/source/record',
        message: 'fixed-width needs a record layout: copybook or layout, and ccsid',
      });
      return { problems };
    }
    return {
      problems,
      reader: {
        read(record) {
          if (record.value === null) return { skip: 'tombstone' };
          return {
            values: {
              key: record.key?.toString('utf8') ?? null,
              headers: headerText(record.headers),
              topic: record.topic,
              // Throws RecordDecodeError naming the field, its byte offset and the bytes.
              record: decoder.decode(record.value),
            },
            identify: (declared) => declaredPosition(declared, record.topic),
          };
        },
      },
    };
  },
};
