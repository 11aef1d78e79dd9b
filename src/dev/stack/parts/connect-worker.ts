import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConnectClient } from '../../../connectors/connect-client.js';
import type { Health, PartContext, StackPart } from '../part.js';
import { livePid, readPid, spawnDetached, stopPid } from '../processes.js';
import { javaCommand, writeLog4jConfig } from './java.js';

/** The connector classes the stack's connector files need; Connect must list them all. */
export const REQUIRED_CONNECTOR_CLASSES = [
  'io.debezium.connector.postgresql.PostgresConnector',
  'io.debezium.connector.mariadb.MariaDbConnector',
];

/** A Kafka Connect worker in distributed mode with the Debezium plugins on its plugin path. */
export class ConnectWorker implements StackPart {
  readonly name = 'connect';
  readonly managed = true;
  readonly port: number;
  readonly logFile: string;
  private readonly pidFile: string;
  private readonly propsFile: string;

  constructor(private readonly ctx: PartContext) {
    this.port = ctx.config.stack.connect.port;
    this.logFile = path.join(ctx.layout.logs, 'connect.log');
    this.pidFile = path.join(ctx.layout.run, 'connect.pid');
    this.propsFile = path.join(ctx.layout.conf, 'connect-distributed.properties');
  }

  pid(): number | undefined {
    return livePid(this.pidFile);
  }

  private writeProperties(): void {
    const props = {
      'bootstrap.servers': `127.0.0.1:${this.ctx.config.stack.kafka.port}`,
      'group.id': 'stockline-connect',
      'config.storage.topic': 'stockline-connect-configs',
      'offset.storage.topic': 'stockline-connect-offsets',
      'status.storage.topic': 'stockline-connect-status',
      'config.storage.replication.factor': '1',
      'offset.storage.replication.factor': '1',
      'status.storage.replication.factor': '1',
      // Plain JSON without the schema envelope: the mapper parses it 5x faster (issue 3).
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter.schemas.enable': 'false',
      'offset.flush.interval.ms': '1000',
      // A worker that lost its group membership (a broker restart) rejoins as a new member; its
      // connectors and tasks then wait this long for it to come back before being assigned again
      // (incremental cooperative rebalancing; 5 minutes by default). The stack has one worker.
      'scheduled.rebalance.max.delay.ms': '10000',
      listeners: `http://127.0.0.1:${this.port}`,
      'rest.advertised.host.name': '127.0.0.1',
      'rest.advertised.port': String(this.port),
      'plugin.path': this.ctx.layout.plugins,
      'plugin.discovery': 'hybrid_warn',
      // Connectors may use ${env:NAME} to resolve secrets inside the worker instead of
      // storing them in the config topic.
      'config.providers': 'env',
      'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
    };
    writeFileSync(
      this.propsFile,
      Object.entries(props)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
  }

  start(): Promise<void> {
    mkdirSync(path.dirname(this.propsFile), { recursive: true });
    this.writeProperties();
    const log4j = writeLog4jConfig(this.ctx.layout, 'connect');
    const [cmd, args] = javaCommand(
      this.ctx.layout,
      log4j,
      this.ctx.config.stack.connect.heapMb,
      'org.apache.kafka.connect.cli.ConnectDistributed',
      [this.propsFile],
    );
    spawnDetached({ command: cmd, args, logFile: this.logFile, pidFile: this.pidFile });
    return Promise.resolve();
  }

  async health(): Promise<Health> {
    const client = new ConnectClient(`http://127.0.0.1:${this.port}`, 5000);
    try {
      const plugins = (await client.plugins()).map((p) => p.class);
      const missing = REQUIRED_CONNECTOR_CLASSES.filter((c) => !plugins.includes(c));
      if (missing.length > 0)
        return { healthy: false, detail: `REST answers but plugins are missing: ${missing.join(', ')}` };
      return {
        healthy: true,
        detail: `REST answers, ${plugins.length} connector plugins incl. Debezium PostgreSQL and MariaDB`,
      };
    } catch (e) {
      return { healthy: false, detail: `REST API not answering: ${(e as Error).message}` };
    }
  }

  async stop(): Promise<void> {
    const pid = readPid(this.pidFile);
    if (pid !== undefined) await stopPid(pid, 30000);
  }
}
