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
  const fields: [keyof Expected, string | boolean][] = [
    ['sku', d.sku],
    ['location', d.location],
    ['quantity', d.quantity],
    ['unit', d.unit],
    ['reason', d.reason],
    ['occurredAt', d.occurredAt],
    ['stockType', d.stockType ?? ''],
    ['specialStock', d.specialStock ?? ''],
    ['postingDate', d.postingDate ?? ''],
    ['position', d.source.position],
    ['sequence', d.source.sequence],
    ['system', d.source.system],
    ['snapshot', d.source.snapshot ?? false],
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
  /** The other tests, for sameIdsAs / differentIdsFrom. */
  siblings: readonly MappingTest[] = [],
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
  if (diffs.length > 0) return fail(diffs.join('; '));
  const identity = await identityProblems(test, outcome.events, readRelative, siblings);
  return identity.length > 0 ? fail(identity.join('; ')) : { ...result, passed: true };
}

const sameFact = (a: CanonicalEvent, b: CanonicalEvent) =>
  a.type === b.type &&
  a.subject === b.subject &&
  a.data.quantity === b.data.quantity &&
  a.data.reason === b.data.reason &&
  a.data.occurredAt === b.data.occurredAt;

/**
 * What `mappings test` checks of event ids beyond the expected events (docs/mappings.md,
 * "Identity"): the same change read again gives the same ids, two changes never share one.
 * - the re-readings the mapping's format offers (Debezium: an insert or update read again by a
 *   snapshot makes, where it makes the same event (same type, key, quantity, reason and time),
 *   the same id; with the default identity, an update or delete at another log position shares
 *   no id);
 * - `sameIdsAs` / `differentIdsFrom` another test of the mapping.
 */
async function identityProblems(
  test: MappingTest,
  events: CanonicalEvent[],
  readRelative: (fromFile: string, ref: string) => Buffer | undefined,
  siblings: readonly MappingTest[],
): Promise<string[]> {
  const problems: string[] = [];
  const base = testInput(test, readRelative);
  const mapValue = async (value: unknown) => {
    const outcome = await test.mapping
      .map({ ...base, value: Buffer.from(JSON.stringify(value)) })
      .catch(() => undefined);
    return outcome?.kind === 'events' ? outcome.events : [];
  };
  // The format says how the same change can be read again, and what another change looks like.
  const probes =
    test.mapping.sourceFormat.identityProbes?.(test.test.input.value, {
      refinesIdentity: test.mapping.spec.source.identity !== undefined,
    }) ?? [];
  for (const probe of probes) {
    const other = await mapValue(probe.value);
    if (probe.expect === 'same-change') {
      for (const e of events) {
        const again = other.find((r) => sameFact(r, e));
        if (again && again.id !== e.id)
          problems.push(
            `identity: the ${e.data.reason} ${e.subject} made ${probe.describe} get different ids (${e.id}, ${again.id})${probe.fix ? `: ${probe.fix}` : ''}`,
          );
      }
    } else {
      const ids = new Set(events.map((e) => e.id));
      if (other.some((e) => ids.has(e.id))) problems.push(`identity: ${probe.describe} share an event id`);
    }
  }
  const against = async (name: string) => {
    const sibling = siblings.find((t) => t.mapping.name === test.mapping.name && t.test.name === name);
    if (!sibling) {
      problems.push(`identity: no test named "${name}" in mapping ${test.mapping.name}`);
      return undefined;
    }
    const outcome = await sibling.mapping.map(testInput(sibling, readRelative)).catch(() => undefined);
    return outcome?.kind === 'events' ? outcome.events.map((e) => e.id) : [];
  };
  const ids = events.map((e) => e.id);
  if (test.test.sameIdsAs !== undefined) {
    const theirs = await against(test.test.sameIdsAs);
    if (theirs && JSON.stringify(theirs) !== JSON.stringify(ids))
      problems.push(
        `identity: expected the same event ids as "${test.test.sameIdsAs}" (${theirs.join(', ')}), got ${ids.join(', ')}`,
      );
  }
  if (test.test.differentIdsFrom !== undefined) {
    const theirs = await against(test.test.differentIdsFrom);
    const shared = theirs?.filter((id) => ids.includes(id)) ?? [];
    if (shared.length > 0)
      problems.push(
        `identity: expected no event id shared with "${test.test.differentIdsFrom}", both have ${shared.join(', ')}`,
      );
  }
  return problems;
}
