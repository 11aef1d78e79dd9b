// `stockline demo` as a use case: the local stack, the connectors, the pipeline's roles in this
// process (the MQ replicator among them when mq.queues lists the mainframe's queue), the simulator at a modest rate with a live view, and at the end the same check as
// `stockline verify`. The CLI command (src/dev/cli/demo.ts) only parses flags.
//
// The roles run in this process, as `stockline run` runs them: the view reads the mapper's
// counters directly, one Ctrl-C stops everything in order, and at a few hundred events a
// second one event loop has room to spare. Their logs go to a file, not over the view.
import path from 'node:path';
import { pino } from 'pino';
import type { StocklineConfig } from '../../config/schema.js';
import { ConnectClient } from '../../connectors/connect-client.js';
import { loadConnectorFiles } from '../../connectors/connector-file.js';
import { connectorEnvironment } from '../../connectors/environment.js';
import { localStackPlaceholders } from '../stack/connector-defaults.js';
import { applyConnectors, waitRunning } from '../../connectors/operations.js';
import { describeError, UsageError } from '../../errors.js';
import { createAdmin } from '../../kafka/clients.js';
import { readMappings, reservedTopics } from '../../mapper/mapping-files.js';
import { withStackSecrets } from '../stack/dev-secrets.js';
import { createLogger } from '../../observability/logger.js';
import { enabledRoles } from '../../roles/registry.js';
import { handleOf, startRoles, stopRoles, type RunningRole } from '../../roles/start.js';
import { displayPath } from '../../shared/display-path.js';
import { statusLine } from '../simulator/progress.js';
import type { RunProgress } from '../simulator/runner.js';
import { simulate, type SimulationReport } from '../simulator/simulate.js';
import { stackLayout } from '../stack/layout.js';
import { LocalStack } from '../stack/stack.js';
import { createStockDb } from '../../stock/db.js';
import { postgresStockReader } from '../../stock/postgres/stock-reader.js';
import { differenceRows, ENDINGS, tally } from '../simulator/verify.js';
import { checkRun } from './check.js';
import type { DemoOptions } from './options.js';
import { readMaterializerPositions } from '../../kafka/consumer-lag.js';
import { DemoSampler, mapperTopics } from './sampler.js';
import { liveView } from './screen.js';
import { columns } from './view.js';

const CONNECTORS_TIMEOUT_MS = 120_000;
const REFRESH_MS = 1000;

export interface DemoIo {
  out?: NodeJS.WriteStream;
  /** Aborted once: stop the simulator and verify. Aborted again (`skip`): skip the waiting. */
  stop: AbortSignal;
  skip: AbortSignal;
}

/** Runs the demo; resolves to the exit code (0 when the stock table matched the run). */
export async function runDemo(
  config: Readonly<StocklineConfig>,
  options: DemoOptions,
  io: DemoIo,
): Promise<number> {
  const out = io.out ?? process.stdout;
  const say = (line = '') => out.write(`${line}\n`);
  const logFile = path.join(stackLayout(config).logs, 'demo.log');
  const log = createLogger(
    { level: config.log.level },
    pino.destination({ dest: logFile, mkdir: true, sync: true }),
  );

  say(
    `stack: starting what is not running (the first time this fetches ~110 MB of jars); logs: ${displayPath(logFile)}`,
  );
  const stack = new LocalStack(config, log.child({ component: 'stack' }));
  const statuses = await stack.up();
  // The dev path: the roles below get the stack's stock database password through the config.
  config = withStackSecrets(config);
  say(`stack: ${statuses.map((s) => s.part).join(', ')} healthy`);

  const client = new ConnectClient(config.connect.url, config.connect.requestTimeoutMs);
  const connectors = loadConnectorFiles(
    path.resolve(config.connect.connectorsDir),
    connectorEnvironment(localStackPlaceholders(config)),
  );
  const applied = await applyConnectors(client, connectors);
  await waitRunning(
    client,
    applied.map((a) => a.name),
    CONNECTORS_TIMEOUT_MS,
  );
  say(`connectors: ${applied.map((a) => `${a.name} ${a.action}`).join(', ')}; all running`);

  // kafkajs logs through a logger of its own to stderr (src/kafka/kafkajs-logging.ts), at
  // STOCKLINE_LOG_LEVEL; on a terminal its retries would tear the view, so unless asked
  // otherwise only fatal ones show there. The roles' own logs are in the log file.
  if (out.isTTY && process.env.STOCKLINE_LOG_LEVEL === undefined) process.env.STOCKLINE_LOG_LEVEL = 'fatal';
  // A notice about kafkajs 2's default partitioner, printed once per producer: not news here.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

  // Set from the roles' `done` callbacks, at any time: read through the object, not narrowed.
  const trouble: { role?: { name: string; error: unknown } } = {};
  const failed = new AbortController();
  const watch = ({ name, handle }: RunningRole) =>
    handle.done.catch((error: unknown) => {
      trouble.role ??= { name, error };
      failed.abort();
    });

  // The same roles as `stockline run` without --role, from the role registry (src/roles/registry.ts):
  // with the development configuration, the MQ replicator too (config/development.yaml).
  const roles = await startRoles(enabledRoles(config), config, log).catch((e: unknown) => {
    if ((e as { code?: string }).code === 'EADDRINUSE')
      throw new UsageError(
        `the stock API's port ${config.api.host}:${config.api.port} is taken (another \`stockline run\` or \`npm start\`?); stop it, or set STOCKLINE__API__PORT`,
      );
    throw e;
  });
  const mapper = handleOf(roles, 'mapper')!;
  const replicator = handleOf(roles, 'mq-replicator');
  const apiUrl = handleOf(roles, 'api')?.url ?? '';
  for (const role of roles) void watch(role);
  const queues = config.mq.queues.map((q) => `${q.queue} -> ${q.topic}`).join(', ');
  say(
    `pipeline: mapper, materializer, ${replicator ? `MQ replicator (${config.mq.transport}: ${queues}), ` : ''}stock API at ${apiUrl} (try: curl -s ${apiUrl}/v1/stock/<sku>)`,
  );

  const admin = createAdmin(config.kafka, `${config.kafka.clientId}-demo`);
  const db = createStockDb(config, { applicationName: 'stockline-demo' });
  const stock = postgresStockReader(db);
  const { mappings } = readMappings(config.mapper.mappingsDir, reservedTopics(config));
  const view = liveView(out);
  let code = 0;
  try {
    if (io.stop.aborted) {
      say('stopped before the simulation started');
      return 130;
    }
    const simulatorStop = AbortSignal.any([io.stop, failed.signal]);
    let latest: RunProgress | undefined;
    let sampler: DemoSampler | undefined;
    let sampling: Promise<void> | undefined;
    const refresh = async () => {
      if (!sampler) return;
      const snapshot = await sampler.sample(latest);
      view.show(snapshot);
    };
    const timer = setInterval(() => {
      sampling ??= refresh()
        .catch((e: unknown) => log.warn({ err: e }, 'demo view sample failed'))
        .finally(() => (sampling = undefined));
    }, REFRESH_MS);

    let report: SimulationReport;
    try {
      report = await simulate(config, options.simulate, {
        signal: simulatorStop,
        onStart: ({ runId, skuPrefix, items }) => {
          say(
            `simulate run ${runId}: seed ${options.simulate.seed}, ${items} items (SKUs ${skuPrefix}*), ${options.simulate.rate} events/s ` +
              (options.durationMs === undefined
                ? 'until Ctrl-C'
                : `for ${options.durationMs / 1000} s; Ctrl-C stops earlier`) +
              (view.tty ? '' : '; a line every 5 s'),
          );
          say();
          sampler = new DemoSampler({
            runId,
            seed: options.simulate.seed,
            targetRate: options.simulate.rate,
            ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
            popular: options.popular,
            admin,
            mapper: {
              groupId: config.mapper.groupId,
              topics: (existing) => mapperTopics(mappings, existing),
              stats: () => mapper.stats(),
            },
            ...(replicator ? { replicator: { stats: () => replicator.stats() } } : {}),
            materializer: {
              groupId: config.materializer.groupId,
              topic: config.mapper.canonicalTopic,
              positions: () =>
                readMaterializerPositions(stock, config.materializer.groupId, config.mapper.canonicalTopic),
            },
            stock,
          });
        },
        onProgress: (p) => (latest = p),
      });
    } finally {
      clearInterval(timer);
      await sampling;
    }
    const { expectation, file, result } = report;
    // The run's own end, which no progress call reported.
    latest = result;
    view.close(sampler ? await sampler.sample(latest).catch(() => undefined) : undefined);

    const { run } = expectation;
    say();
    say(
      `simulated: ${run.events} events in ${run.elapsedSeconds} s (${run.achievedRate}/s), ${run.outcome === 'interrupted' ? 'stopped' : run.outcome}; expected stock: ${Object.keys(expectation.stock).length} rows -> ${displayPath(file)}`,
    );
    if (result.outcome === 'failed') {
      say(`the simulator failed: ${describeError(result.error)}`);
      code = 1;
    }
    const roleStopped = () =>
      trouble.role &&
      `FAILED: the ${trouble.role.name} stopped: ${describeError(trouble.role.error)} (see ${displayPath(logFile)})`;
    if (trouble.role) {
      say(roleStopped());
      return 1;
    }

    say(
      `verify: waiting up to ${options.verifyTimeoutMs / 1000} s for the pipeline to catch up (Ctrl-C ${io.stop.aborted ? 'again ' : ''}skips)`,
    );
    const checked = await checkRun(db, expectation, {
      timeoutMs: options.verifyTimeoutMs,
      settleMs: options.settleMs,
      signal: AbortSignal.any([io.skip, failed.signal]),
      status: statusLine(out),
    });
    if (checked.skipped) {
      say(
        roleStopped() ||
          `not verified (skipped); check later with: ./stockline verify --expect-file ${displayPath(file)}`,
      );
      return 1;
    }
    const { comparison, waitedMs, ending } = checked;
    if (comparison.differences.length > 0)
      for (const line of columns(
        [['sku', 'location', 'expected', 'actual', 'difference'], ...differenceRows(comparison)],
        [false, false, true, true, false],
      ))
        say(`  ${line}`);
    say(
      `verify: ${comparison.expected} expected rows: ${tally(comparison)} (${ENDINGS[ending]} after ${(waitedMs / 1000).toFixed(1)} s)`,
    );
    if (comparison.differences.length === 0) say('OK: the stock table matches the simulation');
    else {
      say('FAILED: the stock table differs from the simulation');
      code = 1;
    }
    return code;
  } finally {
    view.close();
    await admin.close().catch(() => undefined);
    await db.destroy().catch(() => undefined);
    await stopRoles(roles, log);
    say(
      `pipeline stopped; the stack keeps running (./stockline stack down, or npm run stack:down, stops it)`,
    );
  }
}
