/**
 * MQI failures of the ibmmq transport as the port's errors: the verb and the reason code's name
 * in the message, the numbers in the context, and whether a retry can help.
 */
import { QueueBusyError, QueueTransportError, type QueueErrorContext } from './errors.js';
import type { MqiError, MqiSurface } from './ibmmq-mqi.js';

/**
 * Reason codes no retry fixes: credentials, names, TLS material, the queue's definition. Any
 * other code is retriable (the catalogue's default for STOCKLINE_MQ_FAILED): broken
 * connections, a quiescing queue manager, an inhibited queue are expected to pass.
 */
const PERMANENT_REASONS: ReadonlySet<number> = new Set([
  2024, // MQRC_SYNCPOINT_LIMIT_REACHED: the batch is larger than the queue manager's MAXUMSGS
  2035, // MQRC_NOT_AUTHORIZED
  2058, // MQRC_Q_MGR_NAME_ERROR
  2063, // MQRC_SECURITY_ERROR
  2085, // MQRC_UNKNOWN_OBJECT_NAME
  2277, // MQRC_CD_ERROR
  2381, // MQRC_KEY_REPOSITORY_ERROR
  2392, // MQRC_SSL_CONFIG_ERROR
  2393, // MQRC_SSL_INITIALIZATION_ERROR
  2398, // MQRC_SSL_PEER_NAME_MISMATCH
  2540, // MQRC_UNKNOWN_CHANNEL_NAME
]);

/**
 * The text of anything thrown. The package's loader throws a plain `{ message }` object, not an
 * Error, when IBM's C library is missing.
 */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}

export function isMqiError(error: unknown): error is MqiError {
  return (
    error instanceof Error &&
    typeof (error as Partial<MqiError>).mqrc === 'number' &&
    typeof (error as Partial<MqiError>).verb === 'string'
  );
}

/** Where a verb failed: named in every error's message and context. */
export type Place = Pick<QueueErrorContext, 'queueManager' | 'queue'>;

export function contextOf(place: Place, more: Partial<QueueErrorContext> = {}): QueueErrorContext {
  return { transport: 'ibmmq', ...place, ...more };
}

export function whereOf(place: Place): string {
  return `queue manager ${place.queueManager}${place.queue === undefined ? '' : `, queue ${place.queue}`}`;
}

/**
 * An MQI failure as the port's error: the verb and the reason code's name in the message, the
 * numbers in the context. 2042 on MQOPEN is QueueBusyError.
 */
export function mqiFailure(
  mqi: MqiSurface,
  verb: string,
  error: unknown,
  place: Place,
  options: { outcomeUnknown?: boolean } = {},
): QueueBusyError | QueueTransportError {
  if (!isMqiError(error)) {
    return new QueueTransportError(
      `IBM MQ ${verb} on ${whereOf(place)} failed: ${messageOf(error)}`,
      contextOf(place, { call: verb }),
      { retriable: false, cause: error },
    );
  }
  const reason = mqi.Lookup('MQRC', error.mqrc) ?? `reason ${error.mqrc}`;
  const context = contextOf(place, { call: verb, reasonCode: error.mqrc, reason, mqcc: error.mqcc });
  const where = whereOf(place);
  if (error.mqrc === mqi.MQC.MQRC_OBJECT_IN_USE) {
    return new QueueBusyError(
      `IBM MQ ${verb} on ${where}: ${reason} (${error.mqrc}): another session holds the queue for exclusive input`,
      context,
      error,
    );
  }
  const outcome = options.outcomeUnknown ? '; whether the unit of work was committed is unknown' : '';
  return new QueueTransportError(
    `IBM MQ ${verb} on ${where} failed: ${reason} (${error.mqrc})${outcome}`,
    context,
    {
      retriable: !PERMANENT_REASONS.has(error.mqrc),
      outcomeUnknown: options.outcomeUnknown ?? false,
      cause: error,
    },
  );
}
