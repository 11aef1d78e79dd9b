import { Type, type Static } from '@sinclair/typebox';

/**
 * The service configuration, declared once. This schema validates config files at start,
 * is written to config/schema.json for editor completion (`npm run gen:schemas`),
 * and generates docs/config.md. Every field documents its default.
 */
const Port = (description: string, dflt: number) =>
  Type.Integer({ minimum: 1, maximum: 65535, description, default: dflt });

const HeapMb = (dflt: number) =>
  Type.Integer({ minimum: 128, maximum: 8192, description: 'JVM heap (-Xmx) in MiB', default: dflt });

const Str = (description: string, dflt: string) => Type.String({ description, default: dflt });

/**
 * A secret: writeOnly (JSON Schema's "may be set, never shown back"), so that `config check
 * --print` and config errors never show its value.
 */
const Secret = (description: string, dflt: string) =>
  Type.String({ description, default: dflt, writeOnly: true });

export const ConfigSchema = Type.Object(
  {
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { description: 'pino log level', default: 'info' },
        ),
      },
      { additionalProperties: false },
    ),
    kafka: Type.Object(
      {
        brokers: Type.Array(Type.String({ pattern: '^[^:\\s]+:\\d+$' }), {
          minItems: 1,
          description: 'bootstrap brokers as host:port',
          default: ['127.0.0.1:19092'],
        }),
        clientId: Type.String({ minLength: 1, description: 'Kafka client id prefix', default: 'stockline' }),
        client: Type.Union([Type.Literal('kafkajs'), Type.Literal('node-rdkafka')], {
          description:
            'Kafka client library of the mapper: node-rdkafka (librdkafka, native addon built at npm install; exactly once: its transactional offset commits carry the group generation, KIP-447) or kafkajs (pure JavaScript; not exactly once when a mapper stalls past its session timeout)',
          default: 'node-rdkafka',
        }),
        replicationFactor: Type.Integer({
          minimum: 0,
          description:
            "replication factor of the topics stockline creates (canonical, dead-letter, stock, and raw topics the mapper creates); 0: the broker's default.replication.factor",
          default: 0,
        }),
        minInsyncReplicas: Type.Integer({
          minimum: 0,
          description:
            "min.insync.replicas of the topics stockline creates; 0: not set on the topic, the broker's default applies",
          default: 0,
        }),
      },
      { additionalProperties: false },
    ),
    connect: Type.Object(
      {
        url: Type.String({
          pattern: '^https?://',
          description: 'Kafka Connect REST API base URL',
          default: 'http://127.0.0.1:18083',
        }),
        requestTimeoutMs: Type.Integer({
          minimum: 1000,
          description: 'timeout of one Connect REST call',
          default: 30000,
        }),
        connectorsDir: Type.String({
          description: 'folder of connector files (*.yaml, *.yml, *.json)',
          default: 'connectors',
        }),
      },
      { additionalProperties: false },
    ),
    stockDb: Type.Object(
      {
        host: Str('stock database host (PostgreSQL)', '127.0.0.1'),
        port: Port('stock database port', 15432),
        database: Str('stock database name', 'stockline'),
        user: Str('stock database user', 'stockline_app'),
        password: Secret(
          'stock database password; set it with STOCKLINE__STOCKDB__PASSWORD or STOCKLINE__STOCKDB__PASSWORD_FILE; required by the roles that use the stock database. The development commands (demo, verify, stack exec, tests, bench) set it from the local stack when empty',
          '',
        ),
        poolMax: Type.Integer({ minimum: 1, maximum: 100, description: 'connection pool size', default: 10 }),
        statementTimeoutMs: Type.Integer({
          minimum: 0,
          description:
            'statement_timeout of each session: the server cancels a statement running longer (SQLSTATE 57014, retried by the roles); 0: no limit',
          default: 60000,
        }),
        queryTimeoutMs: Type.Integer({
          minimum: 0,
          description:
            'client-side limit on waiting for the answer to one query, for a server or network that stopped answering; keep it above statementTimeoutMs; 0: no limit',
          default: 75000,
        }),
        keepAlive: Type.Boolean({
          description:
            'TCP keepalive on the connections, so that a dead peer or a dropped NAT entry is noticed',
          default: true,
        }),
        keepAliveInitialDelayMs: Type.Integer({
          minimum: 0,
          description: 'idle time before the first TCP keepalive probe',
          default: 10000,
        }),
      },
      { additionalProperties: false },
    ),
    mapper: Type.Object(
      {
        mappingsDir: Str('folder of mapping files', 'mappings'),
        groupId: Str('consumer group of the mappers', 'stockline-mapper'),
        canonicalTopic: Str('topic the canonical events go to', 'inventory.events.v1'),
        deadLetterTopic: Str('topic for input that cannot be mapped', 'inventory.deadletter.v1'),
        canonicalPartitions: Type.Integer({
          minimum: 1,
          description: 'partitions of the canonical and dead-letter topics when stockline creates them',
          default: 6,
        }),
      },
      { additionalProperties: false },
    ),
    materializer: Type.Object(
      {
        groupId: Str('consumer group of the materializers', 'stockline-materializer'),
        stockTopic: Str('compacted topic of stock rows after each commit', 'inventory.stock.v1'),
        maxBatchEvents: Type.Integer({
          minimum: 1,
          description: 'most events applied in one database transaction',
          default: 5000,
        }),
        ledgerHorizonDays: Type.Integer({
          minimum: 0,
          description:
            "how far back (by the time they occurred) the materializer remembers movements applied since their key's last count, to recognise replays and re-snapshots and to apply late counts exactly; older months are dropped whole, and an event that occurred before the horizon is not applied (a snapshot read of it is skipped, a change from the log kept in stock_rejected_events). Size it to the oldest change a source can still deliver: the retention of the source tables a re-snapshot reads and of the raw topics, and the longest a store can stay offline. 0: never forget",
          default: 35,
        }),
        concurrency: Type.Integer({
          minimum: 1,
          maximum: 32,
          description:
            'partitions applied at the same time by one process (each in order, each on its own database connection; at most stockDb.poolMax)',
          default: 3,
        }),
      },
      { additionalProperties: false },
    ),
    api: Type.Object(
      {
        host: Str('stock API listen address', '127.0.0.1'),
        port: Port('stock API port', 8080),
        token: Secret(
          'bearer token required for reads when set (STOCKLINE__API__TOKEN or STOCKLINE__API__TOKEN_FILE); empty: no token',
          '',
        ),
        allowAnonymous: Type.Boolean({
          description:
            'serve reads without a token on an address other machines can reach; false: with an empty token the API refuses to start unless api.host is a loopback address',
          default: false,
        }),
      },
      { additionalProperties: false },
    ),
    stack: Type.Object(
      {
        home: Type.String({
          description: 'folder for the local stack: fetched jars, data folders, logs, pid files, dev secrets',
          default: '.stack',
        }),
        startTimeoutMs: Type.Integer({
          minimum: 5000,
          description: 'how long `stack up` waits for one part to become healthy',
          default: 180000,
        }),
        kafka: Type.Object(
          {
            port: Port('broker listener port (loopback)', 19092),
            controllerPort: Port('KRaft controller listener port (loopback)', 19093),
            heapMb: HeapMb(768),
          },
          { additionalProperties: false },
        ),
        connect: Type.Object(
          { port: Port('Kafka Connect REST port (loopback)', 18083), heapMb: HeapMb(1024) },
          { additionalProperties: false },
        ),
        postgres: Type.Object(
          {
            port: Port('store PostgreSQL port (loopback); also holds the SAP stand-in database', 15432),
            binDir: Type.String({
              description: 'folder with initdb and pg_ctl; empty: the newest under /usr/lib/postgresql',
              default: '',
            }),
          },
          { additionalProperties: false },
        ),
        mariadb: Type.Object(
          {
            port: Port('store MariaDB port (loopback)', 13306),
            serverId: Type.Integer({ minimum: 1, description: 'MariaDB server_id (binlog)', default: 1 }),
          },
          { additionalProperties: false },
        ),
        redis: Type.Object(
          {
            host: Type.String({ description: "the machine's Redis host", default: '127.0.0.1' }),
            port: Port("the machine's Redis port", 6379),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    $id: 'https://stockline.dev/schemas/config.json',
    title: 'stockline service configuration',
  },
);

export type StocklineConfig = Static<typeof ConfigSchema>;
