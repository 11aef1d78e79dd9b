import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAdmin } from '../../../kafka/clients.js';
import type { Health, PartContext, StackPart } from '../part.js';
import { javaCommand, writeLog4jConfig } from './java.js';
import { livePid, readPid, run, spawnDetached, stopPid } from '../processes.js';

/** A single-node KRaft broker (broker and controller in one process) on loopback. */
export class KafkaBroker implements StackPart {
  readonly name = 'kafka';
  readonly managed = true;
  readonly port: number;
  readonly logFile: string;
  private readonly dataDir: string;
  private readonly pidFile: string;
  private readonly propsFile: string;

  constructor(private readonly ctx: PartContext) {
    this.port = ctx.config.stack.kafka.port;
    this.logFile = path.join(ctx.layout.logs, 'kafka.log');
    this.dataDir = path.join(ctx.layout.data, 'kafka');
    this.pidFile = path.join(ctx.layout.run, 'kafka.pid');
    this.propsFile = path.join(ctx.layout.conf, 'kafka.properties');
  }

  pid(): number | undefined {
    return livePid(this.pidFile);
  }

  private writeProperties(): void {
    const { port, controllerPort } = this.ctx.config.stack.kafka;
    const props = {
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': this.dataDir,
      // One broker: every internal topic with one replica, transactions included.
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'share.coordinator.state.topic.replication.factor': '1',
      'share.coordinator.state.topic.min.isr': '1',
      'num.partitions': '1',
      'auto.create.topics.enable': 'true',
      // Tests create many short-lived groups; no reason to wait for more members.
      'group.initial.rebalance.delay.ms': '0',
      'log.retention.hours': '168',
    };
    writeFileSync(
      this.propsFile,
      Object.entries(props)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
  }

  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    this.writeProperties();
    const log4j = writeLog4jConfig(this.ctx.layout, 'kafka');
    if (!existsSync(path.join(this.dataDir, 'meta.properties'))) {
      // A KRaft cluster id is 16 random bytes in URL-safe base64, as `kafka-storage random-uuid` prints.
      const clusterId = randomBytes(16).toString('base64url');
      const [cmd, args] = javaCommand(this.ctx.layout, log4j, 256, 'kafka.tools.StorageTool', [
        'format',
        '-t',
        clusterId,
        '-c',
        this.propsFile,
      ]);
      await run(cmd, args);
    }
    const [cmd, args] = javaCommand(
      this.ctx.layout,
      log4j,
      this.ctx.config.stack.kafka.heapMb,
      'kafka.Kafka',
      [this.propsFile],
    );
    spawnDetached({ command: cmd, args, logFile: this.logFile, pidFile: this.pidFile });
  }

  async health(): Promise<Health> {
    const admin = createAdmin(
      { brokers: [`127.0.0.1:${this.port}`], client: 'kafkajs' },
      'stockline-stack-health',
      {
        quiet: true,
      },
    );
    try {
      const cluster = await admin.describeCluster();
      return {
        healthy: true,
        detail: `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s) answer metadata`,
      };
    } catch (e) {
      return { healthy: false, detail: `metadata request failed: ${(e as Error).message}` };
    } finally {
      await admin.close();
    }
  }

  async stop(): Promise<void> {
    const pid = readPid(this.pidFile);
    if (pid !== undefined) await stopPid(pid, 30000);
  }
}
