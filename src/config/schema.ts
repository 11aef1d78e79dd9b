import { Type, type Static } from '@sinclair/typebox';

/**
 * The service configuration, declared once. This schema validates config files at start,
 * is written to config/schema.json for editor completion (`npm run gen:config-schema`),
 * and generates docs/config.md. Every field documents its default.
 */
const Port = (description: string, dflt: number) =>
  Type.Integer({ minimum: 1, maximum: 65535, description, default: dflt });

const HeapMb = (dflt: number) =>
  Type.Integer({ minimum: 128, maximum: 8192, description: 'JVM heap (-Xmx) in MiB', default: dflt });

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
