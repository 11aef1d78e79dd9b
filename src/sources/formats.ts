// The source formats a mapping may name in `source.format`. Adding a format: a module beside
// these (copy json/format.ts, or debezium/format.ts for records that carry their own identity)
// and one line here; the mapping compiler and the mapping schema take it from this list.
import { debeziumJsonFormat } from './debezium/format.js';
import { FormatRegistry } from './format.js';
import { jsonFormat } from './json/format.js';
import { fixedWidthFormat } from './mainframe/format.js';

export const SOURCE_FORMATS = new FormatRegistry([debeziumJsonFormat, jsonFormat, fixedWidthFormat]);
