/**
 * Every error code stockline raises on purpose, declared once. The type of codes
 * (`ErrorCode`), each error's default `retriable` and the operator's catalogue docs/errors.md
 * (`npm run gen:schemas`) all come from this object; src/errors/catalogue.test.ts checks that
 * each code is raised by the class and in the folders it names, or is reserved.
 *
 * Adding a code: an entry here, a class that passes it (subclass StocklineError, or
 * UnrecoverableError for input no retry fixes), a line in the test's table of classes, then
 * `npm run gen:schemas`.
 */
interface EntryCommon {
  /** When it is raised, in one line, as an operator would look it up. */
  readonly meaning: string;
  /** What the operator does about it. */
  readonly whatToDo: string;
  /** Whether a retry can help; the default the error takes when its raiser does not decide. */
  readonly retriable: boolean;
  /** Set when the raiser decides case by case: which cases are retriable. */
  readonly retriableWhen?: string;
  /**
   * Input that no retry fixes: it goes to the dead-letter topic (mapper) or to
   * stock_rejected_events (materializer) instead of blocking its partition.
   */
  readonly unrecoverable?: true;
}

/** A code that is raised: by which class, from which folders of src/. */
export interface RaisedErrorEntry extends EntryCommon {
  /** The class that carries the code; its name is the `name` the error shows in logs. */
  readonly raisedBy: string;
  /** Folders of src/ whose code raises it (`dev/<tool>` for the development tools). */
  readonly raisedIn: readonly string[];
}

/** A code declared ahead of the code that raises it (a role being built), so that it stays stable. */
export interface ReservedErrorEntry extends EntryCommon {
  /** What will raise it. */
  readonly reserved: string;
}

export type ErrorCatalogueEntry = RaisedErrorEntry | ReservedErrorEntry;

export type ErrorCatalogue = Readonly<Record<`STOCKLINE_${string}`, ErrorCatalogueEntry>>;

// `as const` keeps the keys as literal types (the union ErrorCode below); `satisfies` checks each
// entry's shape without widening them. A TypeScript object rather than a YAML file because the
// classes read their defaults from it at run time and the type of codes needs no generation step.
export const ERROR_CATALOGUE = {
  STOCKLINE_CONFIG_INVALID: {
    raisedBy: 'ConfigError',
    raisedIn: ['api', 'config', 'kafka', 'mq', 'sap', 'service', 'stock'],
    retriable: false,
    meaning:
      'a config file does not parse, has an unknown key, a value of the wrong type, or an environment variable matches no key',
    whatToDo: 'fix the key named in the message, at the file:line:column or variable it names',
  },
  STOCKLINE_CONNECTOR_INVALID: {
    raisedBy: 'ConnectorConfigError',
    raisedIn: ['connectors'],
    retriable: false,
    meaning:
      "a connector file does not parse, has the wrong shape, uses an unset `${PLACEHOLDER}`, or Kafka Connect's validate endpoint rejects a setting",
    whatToDo: 'fix the setting at the position named; set the missing environment variable',
  },
  STOCKLINE_USAGE: {
    raisedBy: 'UsageError',
    raisedIn: ['cli', 'dev/cli', 'dev/demo', 'dev/simulator', 'mapper', 'roles'],
    retriable: false,
    meaning: 'a command names something that does not exist (a role, a part, a mapping)',
    whatToDo: 'the message lists what exists',
  },
  STOCKLINE_STACK_FAILED: {
    raisedBy: 'StackError',
    raisedIn: ['dev/stack'],
    retriable: false,
    meaning:
      'a part of the local stack cannot be fetched, cannot start, does not become healthy, or its port is taken',
    whatToDo: "read the part's log named in the message; free the port or choose another",
  },
  STOCKLINE_REMOTE_FAILED: {
    raisedBy: 'RemoteError',
    raisedIn: ['capture', 'connectors', 'dev/simulator', 'kafka'],
    retriable: true,
    retriableWhen: '409/5xx/network: yes; other 4xx: no',
    meaning: 'Kafka Connect (or another remote system) answered with an error or not at all',
    whatToDo:
      'check that the remote system runs (`./stockline stack status`); retriable ones are retried with backoff first',
  },
  STOCKLINE_PRODUCER_FENCED: {
    raisedBy: 'ProducerFencedError',
    raisedIn: ['kafka'],
    retriable: false,
    meaning:
      'a transactional producer was fenced: a newer instance with the same transactional id took over its source',
    whatToDo:
      'expected during a failover or a restart while the old instance still ran; if two instances run for one source, stop one',
  },
  STOCKLINE_MQ_QUEUE_BUSY: {
    raisedBy: 'QueueBusyError',
    raisedIn: ['mq'],
    retriable: true,
    meaning:
      'another replicator holds the queue for exclusive input (MQRC_OBJECT_IN_USE 2042, or a RabbitMQ single active consumer)',
    whatToDo:
      'expected on a standby: it waits and takes over when the active one stops; if no other replicator runs, a dead connection still holds the queue until its heartbeat interval passes',
  },
  STOCKLINE_MQ_FAILED: {
    raisedBy: 'QueueTransportError',
    raisedIn: ['mq'],
    retriable: true,
    retriableWhen:
      'connection broken, queue manager quiescing, commit outcome unknown: yes; not authorized, unknown queue: no',
    meaning:
      'the queue manager or broker refused a call or could not be reached (the message names the call and the reason code)',
    whatToDo:
      'check the connection name, channel, TLS and credentials in the mq section; a retriable one is retried, and the replicator recovers the unit of work',
  },
  STOCKLINE_SAP_FAILED: {
    raisedBy: 'SapSourceError',
    raisedIn: ['sap'],
    retriable: true,
    retriableWhen:
      'connection lost or refused, timeout, too many connections: yes; not authorized, unknown table, a driver that is not installed: no',
    meaning:
      'the SAP source database (HANA, or the PostgreSQL stand-in) refused a statement of the SAP capture or could not be reached',
    whatToDo:
      'check host, port, user, password and TLS in the sap section, and that the user may SELECT the captured tables; a retriable one is retried, and the capture resumes from its committed position',
  },
  STOCKLINE_SAP_SCHEMA: {
    raisedBy: 'SapSchemaError',
    raisedIn: ['sap'],
    retriable: false,
    meaning:
      'a table the SAP capture reads (MATDOC, MARD) does not exist in sap.schema or lacks a column the capture needs; the capture refuses to start',
    whatToDo:
      'the message names the table and the columns: check sap.schema and the SAP release (S/4HANA 1511 and later have MATDOC), or the grants of the capture user on the catalog',
  },
  STOCKLINE_CANONICAL_INVALID: {
    raisedBy: 'CanonicalMessageError',
    raisedIn: ['canonical'],
    retriable: false,
    unrecoverable: true,
    meaning: 'a message on a canonical topic lacks a CloudEvents header, has an unknown type or no value',
    whatToDo:
      'the producer of that message is not stockline, or a newer version; the materializer keeps it in `stock_rejected_events`; look at the message with `./stockline tail`',
  },
  STOCKLINE_MAPPING_INVALID: {
    raisedBy: 'MappingFileError',
    raisedIn: ['mapping'],
    retriable: false,
    meaning:
      'a mapping, mapping test or lookup table does not load: YAML, unknown key, wrong type, an expression that does not parse, a lookup that does not exist, duplicate names or keys',
    whatToDo: 'fix the file at each file:line:column listed (all problems are listed at once)',
  },
  STOCKLINE_MAPPING_FAILED: {
    raisedBy: 'MappingError',
    raisedIn: ['mapping'],
    retriable: false,
    unrecoverable: true,
    meaning:
      'one input event cannot be mapped: a missing lookup key, a field without a value, a quantity that is not an exact decimal, an event that does not fit the canonical schema',
    whatToDo:
      'it is in the dead-letter topic with this reason; fix the mapping or the lookup, then `./stockline deadletters replay`',
  },
  STOCKLINE_COPYBOOK_INVALID: {
    raisedBy: 'CopybookError',
    raisedIn: ['sources'],
    retriable: false,
    meaning: 'a COBOL copybook does not parse or uses an unsupported clause',
    whatToDo: 'fix the copybook at `FILE:LINE` in the message',
  },
  STOCKLINE_LAYOUT_INVALID: {
    raisedBy: 'LayoutError',
    raisedIn: ['sources'],
    retriable: false,
    meaning: 'an explicit-offset record layout has overlapping, out-of-range or malformed fields',
    whatToDo: 'fix the field named in the message',
  },
  STOCKLINE_CCSID_UNSUPPORTED: {
    raisedBy: 'CodePageError',
    raisedIn: ['dev/simulator', 'sources'],
    retriable: false,
    meaning: 'a record layout names a code page with no table (supported: 037, 500, 1047, 1140)',
    whatToDo: 'use a supported CCSID',
  },
  STOCKLINE_RECORD_UNDECODABLE: {
    raisedBy: 'RecordDecodeError',
    raisedIn: ['sources'],
    retriable: false,
    unrecoverable: true,
    meaning: 'a mainframe record does not match its layout: wrong length, bad packed nibble, bad zoned digit',
    whatToDo:
      'the message names the field, its byte position and the bytes; the record goes to the dead-letter topic',
  },
  STOCKLINE_EXPECTED_INVALID: {
    raisedBy: 'ExpectationFileError',
    raisedIn: ['dev/simulator'],
    retriable: false,
    meaning:
      '`stockline verify` finds no expected-stock file, or one that does not parse or lacks a field `stockline simulate` writes',
    whatToDo:
      'give the file `stockline simulate` printed (`--expect-file`), or run `stockline simulate` first',
  },
  STOCKLINE_RECORD_UNENCODABLE: {
    raisedBy: 'RecordEncodeError',
    raisedIn: ['dev/simulator'],
    retriable: false,
    meaning:
      'the simulator cannot write a value into a mainframe record: too many digits or decimals for its PICTURE, a character not in the code page, text longer than the field',
    whatToDo: "a bug in the simulator's data: the message names the field and the value",
  },
  STOCKLINE_POSITION_MISMATCH: {
    raisedBy: 'PositionMismatchError',
    raisedIn: ['capture', 'materializer', 'replicator'],
    retriable: false,
    meaning:
      "the materializer's stored position of a partition no longer fits the canonical topic (events never applied were deleted by retention, or the topic was recreated), or the MQ replicator's last state record (mq.stateTopic) or the SAP capture's (sap.stateTopic) cannot be read",
    whatToDo:
      'the role stops rather than lose or double-count: for the materializer, rebuild the stock from a source snapshot, then reset the stored positions; for the replicator and the SAP capture, look at the state record of the queue or source the message names',
  },
  STOCKLINE_STOCKDB_FAILED: {
    raisedBy: 'StockDbError',
    raisedIn: ['stock'],
    retriable: false,
    retriableWhen:
      'connection loss, deadlock, serialization failure, lock or statement timeout, too many connections: yes; other: no',
    meaning: 'the stock database failed or refused a statement',
    whatToDo:
      'retriable ones roll back and are retried; a stock row overflow (SQLSTATE 22003) rejects the event that causes it; others stop the role: read the statement and the reason in the log',
  },
} as const satisfies ErrorCatalogue;

/** Every code stockline raises on purpose; a code outside the catalogue does not type-check. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** The catalogue entry of a code, seen through its declared shape (the literal types are per code). */
export function catalogueEntry(code: ErrorCode): ErrorCatalogueEntry {
  return ERROR_CATALOGUE[code];
}
