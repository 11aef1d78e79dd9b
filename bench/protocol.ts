// The benchmark talks to each role's process over Node's IPC channel.
import { fork, type ChildProcess } from 'node:child_process';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { StocklineConfig } from '../src/config/schema.js';
import type { RoleHealth, RoleStats } from '../src/service/role.js';

/** Per config section, the keys to replace (each section is replaced key by key). */
export type ConfigOverrides = { [K in keyof StocklineConfig]?: Partial<StocklineConfig[K]> };

export function withOverrides(
  config: Readonly<StocklineConfig>,
  overrides: ConfigOverrides,
): StocklineConfig {
  const merged = { ...config } as Record<string, unknown>;
  for (const [section, values] of Object.entries(overrides))
    merged[section] = { ...(config[section as keyof StocklineConfig] as object), ...values };
  return merged as unknown as StocklineConfig;
}

export type ParentMessage =
  | { type: 'start'; role: string; overrides: ConfigOverrides }
  /** `light`: only the counters, CPU and memory (no metrics, no health): cheap to ask often. */
  | { type: 'report'; resetMetrics?: boolean; light?: boolean }
  | { type: 'stop' };

export interface ChildReport {
  role: string;
  /** process.resourceUsage().maxRSS: the most the process ever held, in MiB. */
  peakRssMb: number;
  rssMb: number;
  /** User + system CPU of the whole process (every thread: librdkafka's too), process.cpuUsage(). */
  cpuSeconds: number;
  /** The role's figures (its entry's `metrics` in src/roles/registry.ts says what each counts). */
  stats: RoleStats;
  health: RoleHealth;
  /** Empty in a light report. */
  metrics: MetricObjectWithValues<MetricValue<string>>[];
}

/** One number of a role's figures; 0 when the role does not count it (yet). */
export function figure(report: ChildReport, name: string): number {
  const value = report.stats[name];
  return typeof value === 'number' ? value : 0;
}

type ChildMessage =
  | { type: 'started' }
  | { type: 'report'; report: ChildReport }
  | { type: 'stopped'; report: ChildReport }
  | { type: 'failed'; error: string };

/** A role running in a child process (bench/role-child.ts). */
export class RoleProcess {
  private readonly child: ChildProcess;
  private waiting: { resolve: (m: ChildMessage) => void; reject: (e: Error) => void } | undefined;
  failure: string | undefined;

  private constructor(
    readonly role: string,
    roleRoot?: string,
  ) {
    this.child = fork(new URL('./role-child.ts', import.meta.url), [], {
      // BENCH_ROLE_ROOT: the role's code from another checkout (the previous commit's, side by side).
      env: roleRoot ? { ...process.env, BENCH_ROLE_ROOT: roleRoot } : process.env,
      // BENCH_PROFILE=<folder>: each role writes a V8 CPU profile there when it stops.
      // BENCH_ROLE_NODE_OPTIONS: more of Node's options for the role's process (e.g. --max-semi-space-size=64).
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.BENCH_ROLE_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
        ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: ChildMessage) => {
      if (m.type === 'failed') this.failure = m.error;
      const w = this.waiting;
      this.waiting = undefined;
      if (!w) return;
      if (m.type === 'failed') w.reject(new Error(`${role}: ${m.error}`));
      else w.resolve(m);
    });
    this.child.on('exit', (code) => {
      this.waiting?.reject(new Error(`${role} process exited (${code})`));
      this.waiting = undefined;
    });
  }

  /** `roleRoot`: a checkout whose src/ the role is started from (default: this one). */
  static async start(role: string, overrides: ConfigOverrides, roleRoot?: string): Promise<RoleProcess> {
    const p = new RoleProcess(role, roleRoot);
    await p.ask({ type: 'start', role, overrides });
    return p;
  }

  private ask(message: ParentMessage): Promise<ChildMessage> {
    if (this.waiting) throw new Error(`${this.role}: one request at a time`);
    return new Promise<ChildMessage>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.child.send(message);
    });
  }

  async report(resetMetrics = false, light = false): Promise<ChildReport> {
    const m = await this.ask({ type: 'report', resetMetrics, light });
    if (m.type !== 'report') throw new Error(`${this.role}: unexpected ${m.type}`);
    return m.report;
  }

  async stop(): Promise<ChildReport> {
    const m = await this.ask({ type: 'stop' });
    if (m.type !== 'stopped') throw new Error(`${this.role}: unexpected ${m.type}`);
    return m.report;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
