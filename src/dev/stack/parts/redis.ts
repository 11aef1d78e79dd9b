import { Redis } from 'ioredis';
import type { Health, PartContext, StackPart } from '../part.js';

/** The machine's Redis (for BullMQ jobs): checked, never started or stopped by the stack. */
export class MachineRedis implements StackPart {
  readonly name = 'redis';
  readonly managed = false;
  readonly port: number;
  private readonly host: string;

  constructor(ctx: PartContext) {
    this.port = ctx.config.stack.redis.port;
    this.host = ctx.config.stack.redis.host;
  }

  pid(): number | undefined {
    return undefined;
  }

  start(): Promise<void> {
    return Promise.reject(
      new Error(
        `Redis is not running at ${this.host}:${this.port}; the stack uses the machine's Redis and does not start one`,
      ),
    );
  }

  async health(): Promise<Health> {
    const client = new Redis({
      host: this.host,
      port: this.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const pong = await client.ping();
      return { healthy: pong === 'PONG', detail: `PING answered ${pong}` };
    } catch (e) {
      return { healthy: false, detail: `not reachable: ${(e as Error).message}` };
    } finally {
      client.disconnect();
    }
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
