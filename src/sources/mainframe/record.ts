// Decodes fixed-width mainframe records with a layout. The layout is compiled once into one
// decoder per field; decoding a record then checks its length and runs those decoders in order.
import type { Ccsid } from './codepages.js';
import { RecordDecodeError } from './errors.js';
import { compileFieldDecoder, type FieldDecoder } from './field-decoders.js';
import type { RecordLayout } from './layout.js';

/**
 * A decoded record: field name -> value. Text is trimmed of trailing spaces; numbers are exact
 * decimal strings ("120.000", "-2.000", "000000001001"), never JS floating point.
 */
export type RecordValues = Record<string, string>;

export interface RecordDecoder {
  readonly layout: RecordLayout;
  readonly ccsid: Ccsid;
  /** Throws RecordDecodeError for a record of the wrong length or with invalid field bytes. */
  decode(record: Buffer): RecordValues;
}

/** Compiles `layout` for records in `ccsid`; throws CodePageError for an unsupported CCSID. */
export function compileRecordDecoder(layout: RecordLayout, ccsid: Ccsid): RecordDecoder {
  const names = layout.fields.map((field) => field.name);
  const decoders: FieldDecoder[] = layout.fields.map((field) => compileFieldDecoder(field, ccsid));
  const count = decoders.length;
  const expected = layout.length;
  return {
    layout,
    ccsid,
    decode(record) {
      if (record.length !== expected) {
        throw new RecordDecodeError(
          `record is ${record.length} bytes; layout ${layout.name} needs ${expected}`,
          {
            layout: layout.name,
            expectedLength: expected,
            actualLength: record.length,
          },
        );
      }
      const values: RecordValues = {};
      for (let i = 0; i < count; i++) {
        const name = names[i];
        const decode = decoders[i];
        if (name !== undefined && decode !== undefined) values[name] = decode(record);
      }
      return values;
    },
  };
}

const compiled = new WeakMap<RecordLayout, Map<Ccsid, RecordDecoder>>();

/** Decodes one record, compiling the layout on first use and reusing it for the same layout object. */
export function decodeRecord(layout: RecordLayout, record: Buffer, ccsid: Ccsid): RecordValues {
  let byCcsid = compiled.get(layout);
  if (byCcsid === undefined) {
    byCcsid = new Map();
    compiled.set(layout, byCcsid);
  }
  let decoder = byCcsid.get(ccsid);
  if (decoder === undefined) {
    decoder = compileRecordDecoder(layout, ccsid);
    byCcsid.set(ccsid, decoder);
  }
  return decoder.decode(record);
}
