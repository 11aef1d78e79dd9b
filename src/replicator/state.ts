// The replicator's state record: what one batch took from its queue, written to the state topic in
// the same Kafka transaction as the batch's records (research/mq.md §4A).
import { describeError, type ErrorContext } from '../errors.js';
import { PositionMismatchError } from '../materializer/errors.js';

/** What the last committed Kafka transaction of a queue says. */
export interface ReplicatorState {
  /** Batches committed to Kafka for this queue so far (the first is 1). */
  readonly seq: number;
  /** Message ids (hex) of every message that batch took from the queue, produced or not. */
  readonly ids: readonly string[];
  /**
   * Ids (hex) already in Kafka whose queue commit was uncertain and that have not come back yet:
   * if one comes back, it is consumed and not produced again.
   */
  readonly unresolved: readonly string[];
}

export const EMPTY_STATE: ReplicatorState = Object.freeze({ seq: 0, ids: [], unresolved: [] });

const isHexList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && /^[0-9a-f]*$/.test(s));

export function encodeState(state: ReplicatorState): string {
  return JSON.stringify({ v: 1, seq: state.seq, ids: state.ids, unresolved: state.unresolved });
}

/**
 * The state a position read back from the state topic holds; EMPTY_STATE when there is none.
 * A record that is not one of ours stops the replicator: guessing would risk loss or duplicates.
 */
export function decodeState(position: Buffer | string | null, context: ErrorContext): ReplicatorState {
  if (position === null) return EMPTY_STATE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(position.toString());
  } catch (e) {
    throw invalidState('is not JSON', context, e);
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalidState('is not an object', context);
  const { v, seq, ids, unresolved } = parsed as Record<string, unknown>;
  if (v !== 1) throw invalidState(`has version ${String(v)}, this replicator reads version 1`, context);
  if (
    typeof seq !== 'number' ||
    !Number.isInteger(seq) ||
    seq < 0 ||
    !isHexList(ids) ||
    !isHexList(unresolved)
  )
    throw invalidState('lacks seq, ids or unresolved, or has values of the wrong type', context);
  return { seq, ids, unresolved };
}

function invalidState(what: string, context: ErrorContext, cause?: unknown): PositionMismatchError {
  return new PositionMismatchError(
    `the replicator's last state record ${what}: the replicator cannot tell which messages are already in Kafka, and stops rather than risk a loss or a duplicate; look at the state topic's record for this queue`,
    cause === undefined ? context : { ...context, cause: describeError(cause) },
  );
}
