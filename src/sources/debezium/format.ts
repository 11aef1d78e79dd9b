// The debezium-json source format: Debezium change events (JSON converter, with or without the
// schema envelope), identified by their row key and log position (position.ts).
import {
  headerText,
  parseJson,
  UnreadableRecord,
  type DeclaredIdentity,
  type IdentityProbe,
  type SourceFormat,
} from '../format.js';
import { classifyDebezium } from './envelope.js';
import { debeziumPosition, type IdentityRule } from './position.js';

const OPS = ['c', 'u', 'd', 'r', 't'] as const;
const DEFAULT_OPS = ['c', 'r'];

const identityRule = (declared: DeclaredIdentity['identity']): IdentityRule => {
  if (declared === undefined) return { kind: 'default' };
  return 'keyword' in declared ? { kind: 'row' } : { kind: 'value', value: declared.value };
};

/** A test input's value as a Debezium change, or undefined when it is not one. */
type DebeziumValue = { op: string; before?: unknown; after?: unknown; source?: Record<string, unknown> };

/** The same change read at another log position: by a snapshot (op r), or as another change of op `op`. */
function elsewhere(value: DebeziumValue, op: string): DebeziumValue {
  const source = { ...(value.source ?? {}) };
  const shift = (v: unknown) =>
    typeof v === 'number' || typeof v === 'string' ? Number(BigInt(v) + 1000003n) : v;
  if (source.lsn !== undefined) {
    source.lsn = shift(source.lsn);
    const lsn = String(source.lsn);
    source.sequence = JSON.stringify([op === 'r' ? null : lsn, lsn]);
  }
  if (source.pos !== undefined) source.pos = shift(source.pos);
  if (op === 'r') source.snapshot = 'true';
  return op === 'r' ? { op, before: null, after: value.after, source } : { ...value, op, source };
}

export const debeziumJsonFormat: SourceFormat = {
  name: 'debezium-json',
  description: 'a Debezium change event, with or without the schema envelope',
  identity: {
    by: 'record',
    from: 'the change event',
    refinement: {
      keywords: ['row'],
      description:
        'what identifies a change of the table, so that the stream, a snapshot, a re-snapshot or a replay of the same change give the same event id. Default: an insert or snapshot read is the row itself (its key), an update or delete is a distinct change (key and log position): right for insert-only tables. "row": every event this mapping emits from a row happens once in its life (a transfer ships once and is received once), whichever op carried it. "${expression}": the key and a value of the row that changes with every change (an update time, a version), e.g. ${after.updated_at}',
    },
  },
  ops: {
    values: OPS,
    description:
      'the operations this mapping handles (c create, u update, d delete, r snapshot read, t truncate); others are skipped. Default [c, r]',
  },

  prepare(mapping) {
    const ops = new Set<string>(mapping.ops ?? DEFAULT_OPS);
    const handled = [...ops].join(', ');
    return {
      problems: [],
      reader: {
        read(record) {
          const message = classifyDebezium(parseJson(record.value, 'value'));
          if (message.kind === 'not-debezium') throw new UnreadableRecord(message.reason, { field: 'value' });
          if (message.kind !== 'change') return { skip: message.kind };
          if (!ops.has(message.op))
            return { skip: `op ${message.op} is not handled by this mapping (ops: ${handled})` };
          const key = parseJson(record.key, 'key');
          return {
            values: {
              op: message.op,
              before: message.before,
              after: message.after,
              source: message.source,
              ts_ms: message.ts_ms,
              key,
              headers: headerText(record.headers),
              topic: record.topic,
            },
            identify: (declared) => debeziumPosition(message, key, identityRule(declared.identity)),
          };
        },
      },
    };
  },

  identityProbes(input, { refinesIdentity }) {
    if (typeof input !== 'object' || input === null) return [];
    const value = input as DebeziumValue;
    if (typeof value.op !== 'string') return [];
    const probes: IdentityProbe[] = [];
    if ((value.op === 'c' || value.op === 'u') && value.after)
      probes.push({
        value: elsewhere(value, 'r'),
        expect: 'same-change',
        describe: `from op ${value.op} and from a snapshot read of the same row`,
        fix: 'declare source.identity (docs/mappings.md, "Identity")',
      });
    if ((value.op === 'u' || value.op === 'd') && !refinesIdentity)
      probes.push({
        value: elsewhere(value, value.op),
        expect: 'other-change',
        describe: `two ${value.op === 'u' ? 'updates' : 'deletes'} of one row at different log positions`,
      });
    return probes;
  },
};
