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
            "Kafka client library of the mapper's pipeline, of the producers (the materializer's stock topic, dead-letter replay) and of the readers (`tail`, `deadletters list`): node-rdkafka (librdkafka, native addon built at npm install; exactly once: its transactional offset commits carry the group generation, KIP-447) or kafkajs (pure JavaScript; not exactly once when a mapper stalls past its session timeout). Topic administration and the materializer's consumer use kafkajs either way",
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
        canonicalTopic: Str(
          "topic of canonical events the materializer applies; empty: the mapper's (mapper.canonicalTopic). Set it to read another topic, e.g. a copy mirrored from another data center",
          '',
        ),
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
            'partitions applied at the same time by one process (each in order, each on its own database connection): at most stockDb.poolMax, or the materializer refuses to start',
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
    sap: Type.Object(
      {
        driver: Type.Union([Type.Literal('hana'), Type.Literal('postgres')], {
          description:
            'how the SAP capture (role sap-capture) reads MATDOC: hana (@sap/hana-client, production) or postgres (the PostgreSQL stand-in of development and tests); both run the same SQL through src/sap/port.ts',
          default: 'hana',
        }),
        host: Str(
          'SAP HANA SQL host of the capture (role sap-capture); empty: no SAP capture configured',
          '',
        ),
        port: Port(
          'SAP HANA SQL port (3<instance>15 for the system database, 3<instance>41 and up for tenants)',
          30015,
        ),
        user: Str('SAP HANA user of the capture; it needs SELECT on the captured tables only', ''),
        password: Secret('SAP HANA password (STOCKLINE__SAP__PASSWORD or STOCKLINE__SAP__PASSWORD_FILE)', ''),
        database: Str(
          'database name: with driver postgres the stand-in database (sap on the local stack); with hana the tenant database, empty: the one at host:port',
          '',
        ),
        schema: Str(
          'schema holding the captured tables (the ABAP schema) as the database spells it: SAPABAP1 on HANA, sapabap1 in the stand-in; in lower case it is the middle part of the raw topic names',
          'SAPABAP1',
        ),
        tls: Type.Object(
          {
            enabled: Type.Boolean({
              description:
                'encrypt the connection to SAP HANA (the client option encrypt) and validate its certificate',
              default: true,
            }),
            caFile: Str(
              "PEM file of the certificate authority that signed SAP HANA's certificate; empty: the system's trusted authorities",
              '',
            ),
          },
          { additionalProperties: false },
        ),
        tables: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_/]+$' }), {
          minItems: 1,
          description: 'tables the capture reads, each insert-only (MATDOC: the material documents)',
          default: ['MATDOC'],
        }),
        mardTable: Str(
          'the stock table or view read by the initial load (MARD: stock per plant and storage location)',
          'MARD',
        ),
        timeZone: Str(
          "time zone of the SAP system's entry times (CPUDT/CPUTM), as an IANA name; the capture orders and resumes by them (the mappings' $sapDateTime zone must be the same)",
          'UTC',
        ),
        safetyLagMs: Type.Integer({
          minimum: 0,
          description:
            "the fast path reads rows whose entry time is at least this much older than SAP's database clock; rows that commit later than that are found by the sweep (README: how to choose it)",
          default: 10000,
        }),
        lookBackMs: Type.Integer({
          minimum: 60000,
          description:
            'the window the sweep compares with SAP, back from now: a row that commits later than this after its entry time is not captured (the reconciliation reports it); it is also how far back the initial load reads movements',
          default: 86400000,
        }),
        bucket: Type.Union([Type.Literal('day'), Type.Literal('hour'), Type.Literal('minute')], {
          description:
            'entry-time bucket of the sweep: per bucket it compares the row count in SAP with the rows captured, and reads the rows of a bucket that differs',
          default: 'hour',
        }),
        sweepIntervalMs: Type.Integer({
          minimum: 1000,
          description: 'pause between two sweeps of the window (each is one GROUP BY over the window in SAP)',
          default: 60000,
        }),
        stateTopic: Str(
          "compacted topic (one partition) holding the capture's position and the keys it captured per bucket of the window, written in the same Kafka transaction as the records",
          'stockline.sap-capture.state',
        ),
        initialLoad: Type.Boolean({
          description:
            'on the first start (no position yet), load MARD as opening stock and the movements of the window (README: initial load); false: start at the window without MARD',
          default: true,
        }),
        initialLoadId: Str(
          'set to a new value (e.g. a date) to ask for one more initial load at the next start; the capture remembers the id of the last load',
          '',
        ),
        pollIntervalMs: Type.Integer({
          minimum: 100,
          description: 'pause between two polls of a table when the last one found nothing new',
          default: 1000,
        }),
        batchSize: Type.Integer({
          minimum: 1,
          maximum: 100000,
          description:
            'most rows read per poll, written to Kafka in one transaction with the capture position',
          default: 1000,
        }),
        topicPrefix: Str(
          'prefix of the raw topics: <topicPrefix>.<schema in lower case>.<table>, as Debezium names them (sap.sapabap1.MATDOC, which mappings/sap-matdoc.yaml reads)',
          'sap',
        ),
      },
      { additionalProperties: false },
    ),
    mq: Type.Object(
      {
        transport: Type.Union([Type.Literal('ibmmq'), Type.Literal('amqp')], {
          description:
            'how the MQ replicator reads its queues: ibmmq (IBM MQ client, batches under syncpoint) or amqp (AMQP 0-9-1 to RabbitMQ, the stand-in for development and tests)',
          default: 'ibmmq',
        }),
        queueManager: Str('IBM MQ queue manager name; empty: no MQ replicator configured', ''),
        connectionName: Str(
          'IBM MQ connection name: host(port), or a list host1(port),host2(port) for a multi-instance queue manager',
          '',
        ),
        channel: Str('IBM MQ server-connection channel (e.g. DEV.APP.SVRCONN)', ''),
        tls: Type.Object(
          {
            cipherSpec: Str('TLS CipherSpec of the channel (e.g. ANY_TLS12_OR_HIGHER); empty: no TLS', ''),
            keyRepository: Str(
              'key repository of the client, the path of the .kdb file without its extension',
              '',
            ),
            keyRepositoryPassword: Secret(
              'password of the key repository (STOCKLINE__MQ__TLS__KEYREPOSITORYPASSWORD or ..._FILE); empty: its stash file',
              '',
            ),
            certificateLabel: Str(
              "label of the client's certificate in the key repository; empty: the default",
              '',
            ),
          },
          { additionalProperties: false },
        ),
        user: Str('user of the MQ connection (IBM MQ MQCSP, or AMQP); empty: none', ''),
        password: Secret(
          'password of the MQ connection (STOCKLINE__MQ__PASSWORD or STOCKLINE__MQ__PASSWORD_FILE)',
          '',
        ),
        amqpUrl: Type.String({
          pattern: '^amqps?://',
          description:
            'AMQP broker address when mq.transport is amqp, without credentials (they come from mq.user and mq.password)',
          default: 'amqp://127.0.0.1:5672',
        }),
        queues: Type.Array(
          Type.Object(
            {
              queue: Type.String({ minLength: 1, description: 'queue to read' }),
              topic: Type.String({
                minLength: 1,
                description: 'raw topic its messages go to, byte for byte',
              }),
              key: Type.Union(
                ['none', 'msgId', 'correlId', 'groupId'].map((k) => Type.Literal(k)),
                {
                  description:
                    'Kafka key of each record: none (the topic has one partition, so Kafka keeps the queue order) or an MQMD field',
                  default: 'none',
                },
              ),
              batchSize: Type.Integer({
                minimum: 1,
                maximum: 10000,
                description: 'most messages per MQ unit of work and Kafka transaction',
                default: 200,
              }),
            },
            { additionalProperties: false },
          ),
          { description: 'queues to replicate, each into its raw topic; empty: none', default: [] },
        ),
        deadLetterTopic: Str(
          'topic of the messages the replicator cannot replicate (backout count at the threshold, too large for Kafka), with the reason in their headers',
          'mq.deadletter.v1',
        ),
        stateTopic: Str(
          "compacted topic of the replicator's state (what each batch took from its queue, written in the same Kafka transaction), keyed by <queueManager>/<queue>",
          'stockline.mqrepl.state',
        ),
        backoutThreshold: Type.Integer({
          minimum: 1,
          description:
            'backout count at which a message goes to mq.deadLetterTopic, for a queue that has no threshold of its own (IBM MQ BOTHRESH, RabbitMQ delivery-limit). Every crash of the replicator adds one to the messages of its open batch: keep it well above 1',
          default: 10,
        }),
      },
      { additionalProperties: false },
    ),
    jobs: Type.Object(
      {
        host: Str("Redis host of the job queues (BullMQ: the reconciler's schedules)", '127.0.0.1'),
        port: Port('Redis port of the job queues', 6379),
        password: Secret(
          'Redis password (STOCKLINE__JOBS__PASSWORD or STOCKLINE__JOBS__PASSWORD_FILE); empty: none',
          '',
        ),
        db: Type.Integer({ minimum: 0, maximum: 15, description: 'Redis database number', default: 0 }),
        keyPrefix: Str('prefix of every Redis key the job queues write (BullMQ prefix)', 'stockline'),
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
