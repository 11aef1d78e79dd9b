import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { stackSecretEnv } from '../stack/dev-secrets.js';
import { LocalStack, type PartStatus } from '../stack/stack.js';
import { cliContext } from '../../cli/context.js';
import { print, printJson, printTable } from '../../cli/output.js';

function printStatus(statuses: PartStatus[]): void {
  printTable(
    ['part', 'port', 'pid', 'health', 'detail', 'log'],
    statuses.map((s) => [
      s.part,
      s.port,
      s.managed ? (s.pid ?? '-') : 'machine',
      s.health.healthy ? 'healthy' : 'DOWN',
      s.health.detail,
      s.log,
    ]),
  );
}

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('start, stop and inspect the local stack (Kafka, Connect + Debezium, store databases)');

  stack
    .command('fetch')
    .description('fetch Kafka, Kafka Connect and the Debezium plugins from Maven Central (once)')
    .option('--force', 'fetch again even when the runtime is current')
    .action(async (options: { force?: boolean }) => {
      const { config, log } = cliContext();
      const fetched = await new LocalStack(config, log).fetch(options.force);
      print(fetched ? 'stack runtime fetched' : 'stack runtime already current');
    });

  stack
    .command('up [parts...]')
    .description(
      'start every part (or the named ones) that is not running, wait until healthy, seed the databases',
    )
    .option('--json', 'print the status as JSON')
    .action(async (parts: string[], options: { json?: boolean }) => {
      const { config, log } = cliContext();
      const statuses = await new LocalStack(config, log).up(parts);
      if (options.json) printJson(statuses);
      else printStatus(statuses);
    });

  stack
    .command('down')
    .description('stop the processes the stack started (never the machine services)')
    .action(async () => {
      const { config, log } = cliContext();
      const stopped = await new LocalStack(config, log).down();
      print(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing of the stack was running');
    });

  stack
    .command('status')
    .description('show each part with its port, pid, health and log; exit 1 when one is down')
    .option('--json', 'print the status as JSON')
    .action(async (options: { json?: boolean }) => {
      const { config, log } = cliContext();
      const statuses = await new LocalStack(config, log).status();
      if (options.json) printJson(statuses);
      else printStatus(statuses);
      if (statuses.some((s) => !s.health.healthy)) process.exitCode = 1;
    });

  stack
    .command('exec <command> [args...]')
    .description(
      "run a command with the local stack's stock database password in its environment (STOCKLINE__STOCKDB__PASSWORD, unless the config sets one), as npm start does: the service itself never reads the stack's files",
    )
    .action(async (command: string, args: string[]) => {
      const { config } = cliContext();
      const child = spawn(command, args, {
        stdio: 'inherit',
        env: { ...process.env, ...stackSecretEnv(config) },
      });
      // Ctrl-C reaches the child from the terminal; a SIGTERM sent to this process is passed on.
      const onInt = () => undefined;
      const onTerm = () => child.kill('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      try {
        process.exitCode = await new Promise<number>((resolve, reject) => {
          child.on('error', (e) => reject(new UsageError(`cannot run ${command}: ${e.message}`)));
          child.on('exit', (code, signal) =>
            resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)),
          );
        });
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
    });
}
