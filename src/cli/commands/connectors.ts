import path from 'node:path';
import type { Command } from 'commander';
import { ConnectClient } from '../../connectors/connect-client.js';
import { loadConnectorFiles, type ConnectorFile } from '../../connectors/connector-file.js';
import { connectorEnvironment, type PlaceholderDefaults } from '../../connectors/environment.js';
import {
  applyConnectors,
  connectorStatuses,
  diffConnectors,
  restartFailed,
  validateRemotely,
  waitRunning,
} from '../../connectors/operations.js';
import { cliContext } from '../context.js';
import { print, printJson, printTable } from '../output.js';

interface Common {
  dir?: string;
}

/** No defaults: every placeholder comes from the environment (production). */
const NO_DEFAULTS: PlaceholderDefaults = { values: () => ({}), pending: () => [], pendingHint: '' };

function setup(
  defaults: PlaceholderDefaults,
  names: string[],
  options: Common,
  unresolvedAllowed: ReadonlySet<string> = new Set(),
): { client: ConnectClient; connectors: ConnectorFile[] } {
  const { config } = cliContext();
  const dir = path.resolve(options.dir ?? config.connect.connectorsDir);
  const connectors = loadConnectorFiles(
    dir,
    connectorEnvironment(defaults.values(config)),
    names,
    unresolvedAllowed,
  );
  return { client: new ConnectClient(config.connect.url, config.connect.requestTimeoutMs), connectors };
}

/**
 * @param defaults values for placeholders the environment leaves unset (the local stack's, on a
 * development machine: src/cli/dev-commands.ts)
 */
export function registerConnectorCommands(
  program: Command,
  defaults: PlaceholderDefaults = NO_DEFAULTS,
): void {
  const group = program
    .command('connectors')
    .description('validate, apply, inspect and restart the Kafka Connect connectors in connectors/');

  const withDir = (c: Command) =>
    c.option('--dir <folder>', 'folder of connector files (default: connect.connectorsDir)');

  withDir(group.command('validate [names...]'))
    .description("check connector files locally, then with Kafka Connect's validate endpoint")
    .option('--offline', 'local checks only (file syntax, shape, placeholders)')
    .action(async (names: string[], options: Common & { offline?: boolean }) => {
      // The local checks need no secret values: a secret the local stack has not generated yet
      // (a fresh machine) is declared, not missing. Kafka Connect's validate needs the values.
      const pending = options.offline ? defaults.pending(cliContext().config, process.env) : [];
      const { client, connectors } = setup(defaults, names, options, new Set(pending));
      if (!options.offline) await validateRemotely(client, connectors);
      print(
        `${connectors.length} connector file(s) valid${options.offline ? ' (local checks only)' : ''}: ${connectors.map((c) => c.name).join(', ')}`,
      );
      const unresolved = pending.filter((name) =>
        connectors.some((c) => Object.values(c.config).some((v) => v.includes(`\${${name}}`))),
      );
      if (unresolved.length > 0) print(`not set yet: ${unresolved.join(', ')}; ${defaults.pendingHint}`);
    });

  withDir(group.command('apply [names...]'))
    .description('create or update connectors; unchanged ones are left alone')
    .option('--wait', 'wait until each connector and its tasks are RUNNING')
    .option('--timeout <seconds>', 'how long --wait waits', '120')
    .action(async (names: string[], options: Common & { wait?: boolean; timeout: string }) => {
      const { client, connectors } = setup(defaults, names, options);
      const results = await applyConnectors(client, connectors);
      printTable(
        ['connector', 'action'],
        results.map((r) => [r.name, r.action]),
      );
      if (options.wait) {
        await waitRunning(
          client,
          results.map((r) => r.name),
          Number(options.timeout) * 1000,
        );
        print('all connectors running');
      }
    });

  withDir(group.command('status [names...]'))
    .description('show connector and task states; a failed task shows its trace')
    .option('--json', 'print as JSON')
    .action(async (names: string[], options: Common & { json?: boolean }) => {
      const { client, connectors } = setup(defaults, names, options);
      const statuses = await connectorStatuses(
        client,
        connectors.map((c) => c.name),
      );
      if (options.json) return printJson(statuses);
      const rows: string[][] = [];
      const traces: string[] = [];
      for (const s of statuses) {
        if ('missing' in s) {
          rows.push([s.name, 'NOT DEPLOYED', '']);
          continue;
        }
        rows.push([s.name, s.connector.state, s.tasks.map((t) => `${t.id}:${t.state}`).join(' ')]);
        if (s.connector.trace) traces.push(`${s.name}:\n${s.connector.trace}`);
        for (const t of s.tasks) if (t.trace) traces.push(`${s.name} task ${t.id}:\n${t.trace}`);
      }
      printTable(['connector', 'state', 'tasks'], rows);
      for (const trace of traces) print(trace);
      if (
        statuses.some(
          (s) =>
            'missing' in s || s.connector.state === 'FAILED' || s.tasks.some((t) => t.state === 'FAILED'),
        )
      ) {
        process.exitCode = 1;
      }
    });

  withDir(group.command('diff [names...]'))
    .description('compare local connector files with what Kafka Connect runs (secrets masked)')
    .action(async (names: string[], options: Common) => {
      const { client, connectors } = setup(defaults, names, options);
      const diffs = await diffConnectors(client, connectors, names.length === 0);
      for (const d of diffs) {
        print(`${d.name}: ${d.state}`);
        for (const c of d.changes)
          print(`  ${c.key}: deployed ${JSON.stringify(c.deployed)} -> local ${JSON.stringify(c.local)}`);
      }
      if (diffs.some((d) => d.state !== 'same')) process.exitCode = 1;
    });

  withDir(group.command('restart [names...]'))
    .description('restart failed connectors and their failed tasks')
    .action(async (names: string[], options: Common) => {
      const { client, connectors } = setup(defaults, names, options);
      const restarted = await restartFailed(
        client,
        connectors.map((c) => c.name),
      );
      print(restarted.length ? `restarted: ${restarted.join(', ')}` : 'no failed connector or task');
    });
}
