// One role of the service in a process of its own, driven by the benchmark over IPC, so that
// each role's memory (peak RSS) and CPU are its own. The parent sends `start` with the config
// overrides, then `report` whenever it wants figures, then `stop`. The role comes from the role
// registry (src/roles/registry.ts), as `stockline run` starts it.
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/observability/logger.js';
import { registry } from '../src/observability/metrics.js';
import { rolesNamed, startRole } from '../src/roles/registry.js';
import type { RoleHandle } from '../src/service/role.js';
import { withOverrides, type ChildReport, type ParentMessage } from './protocol.js';

const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
let handle: RoleHandle | undefined;
let role = '';

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function report(): Promise<ChildReport> {
  const metrics = await registry.getMetricsAsJSON();
  return {
    role,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    rssMb: process.memoryUsage().rss / 2 ** 20,
    cpuSeconds: cpuSeconds(),
    stats: handle?.stats() ?? {},
    health: handle ? await handle.health() : { ok: false, reason: 'not started' },
    metrics,
  };
}

const send = (message: unknown) => process.send?.(message);

process.on('message', (message: ParentMessage) => {
  void (async () => {
    try {
      if (message.type === 'start') {
        const [name] = rolesNamed([message.role]);
        role = message.role;
        handle = await startRole(name!, withOverrides(loadConfig(), message.overrides), log.child({ role }));
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
