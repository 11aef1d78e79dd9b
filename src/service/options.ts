// What every role's compile<Role>Options has in common (the pattern of Temporal's WorkerOptions
// -> addDefaults -> compileWorkerOptions): the schema already filled in the defaults when the
// config was loaded, so compiling is picking the role's sections, deriving what follows from
// them, refusing the combinations that cannot work, and freezing the result.
import { ConfigError } from '../errors.js';

/** A combination of keys that cannot work: the keys, and a sentence that names them, says why and how to fix it. */
export interface Refusal {
  keys: string[];
  message: string;
}

/**
 * Throws one ConfigError listing every refusal (all at once, as the config loader reports
 * schema problems), or does nothing when there is none. Never clamps a value instead.
 */
export function refuseImpossible(role: string, refusals: readonly (Refusal | undefined)[]): void {
  const found = refusals.filter((r): r is Refusal => r !== undefined);
  if (found.length === 0) return;
  const keys = [...new Set(found.flatMap((r) => r.keys))];
  const message =
    found.length === 1
      ? `the ${role} cannot start: ${found[0]!.message}`
      : `the ${role} cannot start (${found.length} problems):\n  - ${found.map((r) => r.message).join('\n  - ')}`;
  throw new ConfigError(message, { role, keys, problems: found.map((r) => r.message) });
}

/** Freezes an options object and everything in it, so that a role cannot change what it was given. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A deep copy of plain data (objects, arrays, scalars), read through property access only. */
function plainCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(plainCopy) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainCopy(v)])) as T;
}

/**
 * A copy of a config section, frozen: the loaded config is frozen already, but a test or the
 * benchmark may hand in a mutable copy, and options must not change under a running role.
 */
export const frozenCopy = <T extends object>(section: T): Readonly<T> => deepFreeze(plainCopy(section));

/** Topics a role writes or reads, each under the key that names it. */
export interface NamedTopic {
  key: string;
  topic: string;
  /** What flows through it, for the sentence ("canonical events"). */
  holds: string;
}

/** Refuses two different streams in one topic: a consumer would read the other's records as its own. */
export function sameTopicRefusals(topics: readonly NamedTopic[]): Refusal[] {
  const refusals: Refusal[] = [];
  topics.forEach((a, i) => {
    for (const b of topics.slice(i + 1))
      if (a.topic === b.topic && a.key !== b.key)
        refusals.push({
          keys: [a.key, b.key],
          message: `${a.key} and ${b.key} are both ${a.topic}: one topic cannot hold ${a.holds} and ${b.holds}; give each its own topic`,
        });
  });
  return refusals;
}

/** The topics stockline creates get kafka.replicationFactor replicas, and need min.insync.replicas of them. */
export function topicSettingsRefusal(kafka: {
  replicationFactor: number;
  minInsyncReplicas: number;
}): Refusal | undefined {
  const { replicationFactor, minInsyncReplicas } = kafka;
  if (replicationFactor === 0 || minInsyncReplicas <= replicationFactor) return undefined;
  return {
    keys: ['kafka.minInsyncReplicas', 'kafka.replicationFactor'],
    message: `kafka.minInsyncReplicas (${minInsyncReplicas}) exceeds kafka.replicationFactor (${replicationFactor}): no write to the topics stockline creates could ever be acknowledged by that many replicas; lower kafka.minInsyncReplicas or raise kafka.replicationFactor`,
  };
}
