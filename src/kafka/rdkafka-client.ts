import { createRequire } from 'node:module';
import type * as Rdkafka from 'node-rdkafka';
import { ConfigError, RemoteError } from '../errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { KafkaConnection, KafkaRecord, OutgoingRecord } from './port.js';

/**
 * What the node-rdkafka adapters share: loading the native addon on first use, the settings
 * every client gets, turning messages into the port's records and back, and callbacks as
 * promises. Only type imports of node-rdkafka appear at the top of the adapter modules, so a
 * service that runs on kafkajs never loads (or needs) the native addon.
 */
export type RdkafkaModule = typeof Rdkafka;

let loaded: RdkafkaModule | undefined;

/** Loads node-rdkafka (and with it librdkafka) the first time an adapter is started. */
export function loadRdkafka(): RdkafkaModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('node-rdkafka') as RdkafkaModule;
  } catch (e) {
    throw new ConfigError(
      `kafka.client is node-rdkafka but its native addon does not load (${(e as Error).message.split('\n')[0]}); ` +
        'its install script builds librdkafka: run `npm rebuild node-rdkafka` (package.json allowScripts must approve the installed version: ' +
        '`npm install-scripts approve node-rdkafka`), or set kafka.client to kafkajs',
      { key: 'kafka.client' },
      e,
    );
  }
  return loaded;
}

/** librdkafka error codes the adapters act on (librdkafka's rdkafka.h). */
export const RdkafkaCode = {
  /** A local queue is full: wait for deliveries, then produce again. */
  QUEUE_FULL: -184,
  /** The client hit a fatal error (rd_kafka_fatal_error): it cannot be used any more. */
  FATAL: -150,
  /** This producer was fenced by a newer instance with the same transactional id. */
  FENCED: -144,
  /** Partitions are assigned / revoked (the rebalance callback's first argument). */
  ASSIGN_PARTITIONS: -175,
  REVOKE_PARTITIONS: -174,
  /** The special offsets of librdkafka. */
  OFFSET_BEGINNING: -2,
  OFFSET_END: -1,
} as const;

/**
 * node-rdkafka takes and gives offsets as JS numbers, exact up to 2^53; the port keeps them as
 * decimal strings or bigint. They cross into node-rdkafka here only, checked, never through
 * arithmetic on Number.
 */
export function toRdkafkaOffset(offset: bigint | string): number {
  const n = BigInt(offset);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(RdkafkaCode.OFFSET_BEGINNING))
    throw new RemoteError(
      `offset ${n} is beyond what node-rdkafka can pass exactly (2^53); set kafka.client to kafkajs`,
      { offset: String(n) },
      { retriable: false },
    );
  return Number(n);
}

export const isLibrdkafkaError = (e: unknown): e is Rdkafka.LibrdKafkaError =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number' && 'origin' in e;

/** An error after which the client must be thrown away (fenced producer, fatal client error). */
export function isFatal(e: unknown): boolean {
  if (!isLibrdkafkaError(e)) return false;
  return e.isFatal === true || e.code === RdkafkaCode.FATAL || e.code === RdkafkaCode.FENCED;
}

/** The settings every node-rdkafka client of stockline gets. */
export function baseConfig(connection: KafkaConnection): Rdkafka.GlobalConfig {
  return {
    'metadata.broker.list': connection.brokers.join(','),
    'client.id': connection.clientId,
    'socket.connection.setup.timeout.ms': 3000,
    // A down broker is reported through the operations; librdkafka's own log lines would repeat it.
    log_level: connection.quiet ? 0 : 4,
  };
}

/** librdkafka reports client errors as events; log them through pino like kafkajs's logs. */
export function logClientErrors(
  kafkaClient: Rdkafka.KafkaConsumer | Rdkafka.Producer,
  connection: KafkaConnection,
): Logger | undefined {
  const client = kafkaClient as Rdkafka.Client<Rdkafka.KafkaClientEvents>;
  if (connection.quiet) {
    // An 'error' event without a listener would throw; event.error is not 'error', but be explicit.
    client.on('event.error', () => undefined);
    return undefined;
  }
  const log = createLogger({ name: 'node-rdkafka' });
  client.on('event.error', (e) => log.warn({ code: e.code, clientId: connection.clientId }, e.message));
  return log;
}

/** Connects and returns the cluster metadata (all topics), or says plainly that Kafka is not there. */
export function connect(
  client: Rdkafka.KafkaConsumer | Rdkafka.Producer,
  connection: KafkaConnection,
): Promise<Rdkafka.Metadata> {
  return new Promise((resolve, reject) => {
    client.connect({ timeout: 10000, allTopics: true }, (err, metadata) => {
      if (!err) {
        resolve(metadata);
        return;
      }
      reject(
        new RemoteError(
          `cannot reach Kafka at ${connection.brokers.join(',')}: ${err.message}; is it running? (./stockline stack status)`,
          { brokers: connection.brokers.join(',') },
          { cause: err },
        ),
      );
    });
  });
}

/** Disconnects; never rejects (the caller is stopping anyway). */
export function disconnect(client: Rdkafka.KafkaConsumer | Rdkafka.Producer): Promise<void> {
  if (!client.isConnected()) return Promise.resolve();
  return new Promise((resolve) => {
    client.disconnect(() => resolve());
  });
}

/** node-rdkafka's errors are Errors at runtime (lib/error.js inherits Error); the typings declare a plain interface. */
export const asError = (e: Rdkafka.LibrdKafkaError): Error => e as unknown as Error;

/** Runs a node-rdkafka call that reports through a callback `(err) => void`. */
export function call(
  run: (cb: (err: Rdkafka.LibrdKafkaError | null | undefined) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    run((err) => (err ? reject(asError(err)) : resolve()));
  });
}

/**
 * Up to `max` messages: waits up to `waitMs` for the first one, then takes only what librdkafka
 * has already fetched. (node-rdkafka's consume(n) waits its timeout again for every further
 * message, so one call with a long timeout could hold a trickle of records back for minutes.)
 */
export async function consumeBatch(
  consumer: Rdkafka.KafkaConsumer,
  max: number,
  waitMs: number,
): Promise<Rdkafka.Message[]> {
  const take = (n: number, timeoutMs: number) =>
    new Promise<Rdkafka.Message[]>((resolve, reject) => {
      consumer.setDefaultConsumeTimeout(timeoutMs);
      consumer.consume(n, (err, messages) => (err ? reject(asError(err)) : resolve(messages)));
    });
  const first = await take(1, waitMs);
  if (first.length === 0 || max <= 1) return first;
  const rest = await take(max - 1, 0).catch(() => []);
  return rest.length === 0 ? first : [...first, ...rest];
}

/** A node-rdkafka message as the port's record. */
export function toKafkaRecord(message: Rdkafka.Message): KafkaRecord {
  const headers: Record<string, Buffer | undefined> = {};
  // node-rdkafka gives headers as a list of one-key objects, in the order they were written.
  for (const header of message.headers ?? []) {
    for (const [k, v] of Object.entries(header)) {
      if (!(k in headers)) headers[k] = Buffer.isBuffer(v) ? v : Buffer.from(v);
    }
  }
  const key = message.key;
  return {
    topic: message.topic,
    partition: message.partition,
    offset: String(message.offset),
    timestamp: String(message.timestamp ?? -1),
    key: key === undefined || key === null ? null : Buffer.isBuffer(key) ? key : Buffer.from(key),
    value: message.value,
    headers,
  };
}

const toBuffer = (v: string | Buffer | null): Buffer | null =>
  v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);

/** The arguments of Producer.produce for one outgoing record, after topic and partition. */
export function toProduceArgs(
  record: OutgoingRecord,
): [value: Buffer | null, key: Buffer | null, headers: Rdkafka.MessageHeader[]] {
  return [
    toBuffer(record.value),
    toBuffer(record.key),
    Object.entries(record.headers).map(([k, v]) => ({ [k]: v })),
  ];
}

/** Wraps a librdkafka error as the service's remote error, keeping what librdkafka says about retrying. */
export function asRemoteError(what: string, e: unknown, context: Record<string, unknown> = {}): Error {
  if (!isLibrdkafkaError(e)) return e instanceof Error ? e : new Error(String(e));
  return new RemoteError(
    `${what}: ${e.message} (librdkafka code ${e.code})`,
    { ...context, librdkafkaCode: e.code },
    { retriable: !isFatal(e), cause: e },
  );
}
