import { LEVEL, MOVEMENT, type CanonicalEvent } from '../canonical/event.js';
import type { RawInput } from './compile.js';
import type { TestCase } from './format.js';
import type { MappingTest } from './load.js';

export interface TestResult {
  mapping: string;
  file: string;
  line?: number;
  name: string;
  passed: boolean;
  /** Why it failed: what was expected and what the mapping did. */
  failure?: string;
}

/** Builds the raw message a test describes (JSON value, hex bytes or a file). */
export function testInput(
  test: MappingTest,
  readRelative: (fromFile: string, ref: string) => Buffer | undefined,
): RawInput {
  const { input } = test.test;
  const topic = input.topic ?? test.mapping.topics[0];
  if (!topic) throw new Error('the mapping reads a topic pattern: give input.topic');
  let value: Buffer | null;
  if (input.hex !== undefined) value = Buffer.from(input.hex.replace(/\s+/g, ''), 'hex');
  else if (input.file !== undefined) {
    const bytes = readRelative(test.file, input.file);
    if (!bytes) throw new Error(`input.file ${input.file} does not exist (relative to ${test.file})`);
    value = bytes;
  } else if (input.value === null || input.value === undefined) value = null;
  else value = Buffer.from(typeof input.value === 'string' ? input.value : JSON.stringify(input.value));
  const key =
    input.key === undefined || input.key === null
      ? null
      : Buffer.from(typeof input.key === 'string' ? input.key : JSON.stringify(input.key));
  const headers = Object.fromEntries(
    Object.entries(input.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]),
  );
  return { topic, partition: 0, offset: '0', key, value, headers };
}

type Expected = NonNullable<TestCase['expect']>[number];

function differences(expected: Expected, actual: CanonicalEvent): string[] {
  const diffs: string[] = [];
  const type = expected.type === 'level' ? LEVEL : MOVEMENT;
  if (actual.type !== type)
    diffs.push(`type: expected ${expected.type}, got ${actual.type === LEVEL ? 'level' : 'movement'}`);
  const d = actual.data;
  const fields: [keyof Expected, string][] = [
    ['sku', d.sku],
    ['location', d.location],
    ['quantity', d.quantity],
    ['unit', d.unit],
    ['reason', d.reason],
    ['occurredAt', d.occurredAt],
    ['position', d.source.position],
    ['sequence', d.source.sequence],
    ['system', d.source.system],
  ];
  for (const [field, value] of fields) {
    const want = expected[field];
    if (want !== undefined && want !== value)
      diffs.push(`${field}: expected ${JSON.stringify(want)}, got ${JSON.stringify(value)}`);
  }
  return diffs;
}

const describeEvents = (events: CanonicalEvent[]) =>
  events
    .map(
      (e) =>
        `${e.type === LEVEL ? 'level' : 'movement'} ${e.data.sku}@${e.data.location} ${e.data.quantity} ${e.data.unit} ${e.data.reason}`,
    )
    .join('; ');

/** Runs one mapping test: the expected events, the expected skip, or the expected error. */
export async function runMappingTest(
  test: MappingTest,
  readRelative: (fromFile: string, ref: string) => Buffer | undefined,
): Promise<TestResult> {
  const result = { mapping: test.mapping.name, file: test.file, line: test.line, name: test.test.name };
  const { expect: expected, expectError, expectSkip } = test.test;
  const fail = (failure: string): TestResult => ({ ...result, passed: false, failure });
  let outcome;
  try {
    outcome = await test.mapping.map(testInput(test, readRelative));
  } catch (e) {
    const message = (e as Error).message;
    if (expectError !== undefined)
      return message.includes(expectError)
        ? { ...result, passed: true }
        : fail(`expected an error containing "${expectError}", got: ${message}`);
    return fail(`mapping failed: ${message}`);
  }
  if (expectError !== undefined) {
    return fail(
      `expected an error containing "${expectError}", but the mapping ${outcome.kind === 'skipped' ? `skipped it (${outcome.reason})` : `made: ${describeEvents(outcome.events)}`}`,
    );
  }
  if (outcome.kind === 'skipped') {
    if (expectSkip !== undefined)
      return outcome.reason.includes(expectSkip)
        ? { ...result, passed: true }
        : fail(`expected a skip because "${expectSkip}", skipped because: ${outcome.reason}`);
    if (expected && expected.length === 0) return { ...result, passed: true };
    return fail(
      `expected ${expected?.length ?? 0} event(s), the mapping skipped the input: ${outcome.reason}`,
    );
  }
  if (expectSkip !== undefined)
    return fail(`expected a skip because "${expectSkip}", got: ${describeEvents(outcome.events)}`);
  const wanted = expected ?? [];
  if (wanted.length !== outcome.events.length) {
    return fail(
      `expected ${wanted.length} event(s), got ${outcome.events.length}: ${describeEvents(outcome.events)}`,
    );
  }
  const diffs = wanted.flatMap((w, i) =>
    differences(w, outcome.events[i]!).map((d) => `event ${i + 1}: ${d}`),
  );
  return diffs.length > 0 ? fail(diffs.join('; ')) : { ...result, passed: true };
}
