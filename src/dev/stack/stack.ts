import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StocklineConfig } from '../../config/schema.js';
import { StackError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { stackLayout, type StackLayout } from './layout.js';
import type { Health, PartContext, StackPart } from './part.js';
import { ConnectWorker } from './parts/connect-worker.js';
import { KafkaBroker } from './parts/kafka-broker.js';
import { StoreMariadb } from './parts/mariadb.js';
import { StorePostgres } from './parts/postgres.js';
import { MachineRedis } from './parts/redis.js';
import { portHolder, portInUse, tailOfFile } from './processes.js';
import { fetchRuntime } from './runtime-fetch.js';
import { ensureSecrets } from './secrets.js';

export interface PartStatus {
  part: string;
  port: number;
  pid: number | undefined;
  managed: boolean;
  health: Health;
  log: string | undefined;
}

/**
 * The local stack: the machine's Redis, a store PostgreSQL (with the SAP stand-in), a store
 * MariaDB, a KRaft Kafka broker and a Kafka Connect worker with Debezium. Parts start in two
 * waves (Connect needs the broker), each waits until healthy, and a failure names the part
 * and its log.
 */
export class LocalStack {
  readonly layout: StackLayout;
  private readonly ctx: PartContext;
  readonly parts: {
    redis: MachineRedis;
    postgres: StorePostgres;
    mariadb: StoreMariadb;
    kafka: KafkaBroker;
    connect: ConnectWorker;
  };

  constructor(config: StocklineConfig, log: Logger) {
    this.layout = stackLayout(config);
    for (const dir of [
      this.layout.home,
      this.layout.conf,
      this.layout.logs,
      this.layout.run,
      this.layout.data,
    ]) {
      mkdirSync(dir, { recursive: true });
    }
    this.ctx = { config, layout: this.layout, secrets: ensureSecrets(this.layout.secretsFile), log };
    this.parts = {
      redis: new MachineRedis(this.ctx),
      postgres: new StorePostgres(this.ctx),
      mariadb: new StoreMariadb(this.ctx),
      kafka: new KafkaBroker(this.ctx),
      connect: new ConnectWorker(this.ctx),
    };
  }

  private get waves(): StackPart[][] {
    const { redis, postgres, mariadb, kafka, connect } = this.parts;
    return [[redis, postgres, mariadb, kafka], [connect]];
  }

  get all(): StackPart[] {
    return this.waves.flat();
  }

  async fetch(force = false): Promise<boolean> {
    return fetchRuntime(this.layout, this.ctx.log, { force });
  }

  /**
   * Starts what is not running (all parts, or the named ones), waits for health, prepares
   * databases. Harmless when everything runs. Ports are checked before anything is fetched
   * or started, so a conflict fails fast.
   */
  async up(only: string[] = []): Promise<PartStatus[]> {
    const unknown = only.filter((n) => !this.all.some((p) => p.name === n));
    if (unknown.length > 0) {
      throw new StackError(
        `unknown stack part ${unknown.join(', ')}; parts: ${this.all.map((p) => p.name).join(', ')}`,
        {},
      );
    }
    const selected = (part: StackPart) => only.length === 0 || only.includes(part.name);
    const waves = this.waves.map((wave) => wave.filter(selected)).filter((wave) => wave.length > 0);
    const conflicts = await Promise.allSettled(
      waves
        .flat()
        .filter((p) => p.managed && p.pid() === undefined)
        .map((p) => this.ensurePortsFree(p)),
    );
    this.throwFailures(conflicts);
    if (waves.flat().some((p) => p === this.parts.kafka || p === this.parts.connect)) await this.fetch();
    for (const wave of waves) {
      this.throwFailures(await Promise.allSettled(wave.map((part) => this.bringUp(part))));
    }
    return (await this.status()).filter((s) => only.length === 0 || only.includes(s.part));
  }

  private throwFailures(results: PromiseSettledResult<unknown>[]): void {
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new StackError(
        `${failures.length} parts of the stack failed:\n` +
          failures.map((f) => `- ${(f as Error).message}`).join('\n'),
        { parts: failures.map((f) => (f instanceof StackError ? f.context.part : undefined)) },
      );
    }
  }

  private async bringUp(part: StackPart): Promise<void> {
    const log = this.ctx.log.child({ part: part.name });
    if (part.managed && part.pid() === undefined) {
      log.info({ port: part.port }, `starting ${part.name}`);
      try {
        await part.start();
      } catch (e) {
        throw this.partError(part, `${part.name} could not start: ${(e as Error).message}`, e);
      }
    } else if (part.managed) {
      log.info({ pid: part.pid() }, `${part.name} already running`);
    }
    await this.waitHealthy(part);
    if (part.prepare) {
      try {
        await part.prepare();
      } catch (e) {
        throw this.partError(
          part,
          `${part.name} started but could not be prepared: ${(e as Error).message}`,
          e,
        );
      }
    }
  }

  private async ensurePortsFree(part: StackPart): Promise<void> {
    const ports = [part.port];
    if (part === this.parts.kafka) ports.push(this.ctx.config.stack.kafka.controllerPort);
    for (const port of ports) {
      if (await portInUse(port)) {
        const holder = (await portHolder(port)) ?? 'another process';
        throw new StackError(
          `port ${port} for ${part.name} is already in use by ${holder}, which the stack did not start; ` +
            `stop it, or choose another port in config (stack.${part.name}) or with STOCKLINE__STACK__${part.name.toUpperCase()}__PORT`,
          { part: part.name, port },
        );
      }
    }
  }

  private partError(part: StackPart, message: string, cause?: unknown): StackError {
    const logHint = part.logFile
      ? `\n  log: ${part.logFile}\n  last lines:\n    ${tailOfFile(part.logFile, 12).split('\n').join('\n    ')}`
      : '';
    return new StackError(`${message}${logHint}`, { part: part.name, log: part.logFile }, cause);
  }

  private async waitHealthy(part: StackPart): Promise<void> {
    const timeoutMs = this.ctx.config.stack.startTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let last: Health = { healthy: false, detail: 'not checked yet' };
    while (Date.now() < deadline) {
      last = await part.health();
      if (last.healthy) {
        this.ctx.log.info({ part: part.name, detail: last.detail }, `${part.name} is healthy`);
        return;
      }
      if (part.managed && part.pid() === undefined) {
        throw this.partError(part, `${part.name} exited while starting (${last.detail})`);
      }
      if (!part.managed) break;
      await sleep(500);
    }
    throw this.partError(
      part,
      `${part.name} did not become healthy within ${Math.round(timeoutMs / 1000)} s: ${last.detail}`,
    );
  }

  /** Stops, in reverse order, only the processes the stack started. */
  async down(): Promise<string[]> {
    const stopped: string[] = [];
    for (const part of this.all.filter((p) => p.managed).reverse()) {
      if (part.pid() === undefined) continue;
      this.ctx.log.info({ part: part.name, pid: part.pid() }, `stopping ${part.name}`);
      await part.stop();
      stopped.push(part.name);
    }
    return stopped;
  }

  async status(): Promise<PartStatus[]> {
    return Promise.all(
      this.all.map(async (part) => ({
        part: part.name,
        port: part.port,
        pid: part.pid(),
        managed: part.managed,
        health:
          part.managed && part.pid() === undefined
            ? { healthy: false, detail: 'not running' }
            : await part.health(),
        log: part.logFile,
      })),
    );
  }
}
