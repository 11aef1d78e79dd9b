// One role of the service in a process of its own, driven by the benchmark over IPC, so that
// each role's memory (peak RSS) and CPU are its own. The parent sends `start` with the config
// overrides, then `report` whenever it wants figures, then `stop`. The role comes from the role
// registry (src/roles/registry.ts), as `stockline run` starts it; with BENCH_ROLE_ROOT set, from
// that checkout's src/ (the benchmark runs the previous commit's role beside this one's).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ConfigLoad from '../src/config/load.js';
import type * as Logger from '../src/observability/logger.js';
import type * as Metrics from '../src/observability/metrics.js';
import type * as Registry from '../src/roles/registry.js';
import type { RoleHandle } from '../src/service/role.js';
import { withOverrides, type ChildReport, type ParentMessage } from './protocol.js';

const root = process.env.BENCH_ROLE_ROOT;
const from = async <T>(module: string): Promise<T> =>
  (await import(
    root
      ? pathToFileURL(path.join(root, 'src', module)).href
      : new URL(`../src/${module}`, import.meta.url).href
  )) as T;
const { loadConfig } = await from<typeof ConfigLoad>('config/load.ts');
const { createLogger } = await from<typeof Logger>('observability/logger.ts');
const { registry } = await from<typeof Metrics>('observability/metrics.ts');
const { rolesNamed, startRole } = await from<typeof Registry>('roles/registry.ts');

const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
let handle: RoleHandle | undefined;
let role = '';

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function report(light = false): Promise<ChildReport> {
  return {
    role,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    rssMb: process.memoryUsage().rss / 2 ** 20,
    cpuSeconds: cpuSeconds(),
    stats: handle?.stats() ?? {},
    health: light ? { ok: true } : handle ? await handle.health() : { ok: false, reason: 'not started' },
    metrics: light ? [] : await registry.getMetricsAsJSON(),
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
        send({ type: 'report', report: await report(message.light) });
      } else if (message.type === 'stop') {
        await handle?.stop();
        send({ type: 'stopped', report: await report(true) });
        process.exit(0);
      }
    } catch (e) {
      send({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
