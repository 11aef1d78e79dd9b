// The json source format: any JSON value; the mapping says what identifies each change
// (`source.position`, `source.sequence`).
import { declaredPosition, headerText, parseJson, type SourceFormat } from '../format.js';

export const jsonFormat: SourceFormat = {
  name: 'json',
  description: 'any JSON value',
  identity: { by: 'mapping' },

  prepare() {
    return {
      problems: [],
      reader: {
        read(record) {
          if (record.value === null) return { skip: 'tombstone' };
          return {
            values: {
              key: record.key?.toString('utf8') ?? null,
              headers: headerText(record.headers),
              topic: record.topic,
              value: parseJson(record.value, 'value'),
            },
            identify: (declared) => declaredPosition(declared, record.topic),
          };
        },
      },
    };
  },
};
