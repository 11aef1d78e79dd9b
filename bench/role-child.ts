// One role of the service in a process of its own, driven by the benchmark over IPC, so that
// each role's memory (peak RSS) and CPU are its own. The parent sends `start` with the config
// overrides, then `report` whenever it wants figures, then `stop`.
import { loadConfig } from '../src/config/load.js';
import type { StocklineConfig } from '../src/config/schema.js';
import { startApiWith } from '../src/api/service.js';
import { startMapperWith, type MapperHandle } from '../src/mapper/service.js';
import { startMaterializer } from '../src/materializer/service.js';
import { createLogger } from '../src/observability/logger.js';
import { registry } from '../src/observability/metrics.js';
import type { RoleHandle } from '../src/service/role.js';
import { withOverrides, type ChildReport, type ParentMessage } from './protocol.js';

const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
let handle: RoleHandle | undefined;
let role = '';

async function start(name: string, config: Readonly<StocklineConfig>): Promise<RoleHandle> {
  switch (name) {
    case 'mapper':
      return startMapperWith(config, log.child({ role: name }));
    case 'materializer':
      return startMaterializer(config, log.child({ role: name }));
    case 'api':
      return startApiWith(config, log.child({ role: name }));
    default:
      throw new Error(`unknown role ${name}`);
  }
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function report(): Promise<ChildReport> {
  const metrics = await registry.getMetricsAsJSON();
  const mapper = (handle as MapperHandle | undefined)?.stats;
  return {
    role,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    rssMb: process.memoryUsage().rss / 2 ** 20,
    cpuSeconds: cpuSeconds(),
    mapped: mapper
      ? { consumed: mapper.consumed, produced: mapper.produced, deadLettered: mapper.deadLettered }
      : null,
    metrics,
  };
}

const send = (message: unknown) => process.send?.(message);

process.on('message', (message: ParentMessage) => {
  void (async () => {
    try {
      if (message.type === 'start') {
        role = message.role;
        handle = await start(message.role, withOverrides(loadConfig(), message.overrides));
        handle.done.catch((e: unknown) => send({ type: 'failed', error: String(e) }));
        send({ type: 'started' });
      } else if (message.type === 'report') {
        if (message.resetMetrics) registry.resetMetrics();
        send({ type: 'report', report: await report() });
      } else if (message.type === 'stop') {
        await handle?.stop();
        send({ type: 'stopped', report: await report() });
        process.exit(0);
      }
    } catch (e) {
      send({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
