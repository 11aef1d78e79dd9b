import { StocklineError, type ErrorContext } from '../errors.js';

/** Where a queue error happened: what an operator needs to find the queue and the failed call. */
export interface QueueErrorContext extends ErrorContext {
  /** `ibmmq`, `amqp`, `memory`. */
  transport: string;
  /** The queue manager (IBM MQ) or broker address (AMQP). */
  queueManager: string;
  queue?: string;
  /** The call that failed (MQGET, MQCMIT, basic.ack, ...). */
  call?: string;
  /** The transport's reason code (MQRC number, AMQP reply code), when it gave one. */
  reasonCode?: number | string;
}

/**
 * Another session holds the queue for exclusive input (MQRC_OBJECT_IN_USE 2042 on IBM MQ, an
 * exclusive consumer on RabbitMQ). Retriable: a standby waits and takes over once it is free.
 */
export class QueueBusyError extends StocklineError {
  declare readonly context: QueueErrorContext;

  constructor(message: string, context: QueueErrorContext, cause?: unknown) {
    super(message, { code: 'STOCKLINE_MQ_QUEUE_BUSY', context, cause });
  }
}

/**
 * The queue manager or broker refused a call or could not be reached. The raiser decides whether
 * a retry can help: a broken connection or an unknown commit outcome can, a missing queue or a
 * refused authorization cannot.
 */
export class QueueTransportError extends StocklineError {
  declare readonly context: QueueErrorContext;
  /**
   * Set when a commit failed in a way that leaves open whether the unit of work was committed
   * (IBM MQ MQCMIT: connection broken, outcome pending or mixed): the replicator must recover
   * rather than assume either outcome.
   */
  readonly outcomeUnknown: boolean;

  constructor(
    message: string,
    context: QueueErrorContext,
    options: { retriable: boolean; outcomeUnknown?: boolean; cause?: unknown },
  ) {
    super(message, {
      code: 'STOCKLINE_MQ_FAILED',
      context,
      retriable: options.retriable,
      cause: options.cause,
    });
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}
