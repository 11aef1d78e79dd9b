import type { Command } from 'commander';
import { describeError } from '../../errors.js';
import { displayPath } from '../../shared/display-path.js';
import {
  parseSimulateFlags,
  SIMULATE_DEFAULTS,
  type SimulateFlags,
  type SimulateOptions,
} from '../simulator/options.js';
import { progressLine, statusLine } from '../simulator/progress.js';
import { simulate } from '../simulator/simulate.js';
import { cliContext } from '../../cli/context.js';
import { print, printTable } from '../../cli/output.js';

/** The command line that repeats a run's activity (with a fresh run id, as a rerun needs). */
function repeatCommand(o: SimulateOptions): string {
  const plan = o.events !== undefined ? `--events ${o.events}` : `--duration ${(o.durationMs ?? 0) / 1000}s`;
  return `./stockline simulate ${plan} --rate ${o.rate} --seed ${o.seed} --stores ${o.stores} --warehouses ${o.warehouses} --items ${o.items} --count-freeze ${o.countFreezeSeconds} --sap-late-share ${o.sapLateShare} --sap-max-hold ${o.sapMaxHoldSeconds}s`;
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'write realistic store, SAP and mainframe activity into the sources, and the expected final stock for `stockline verify`',
    )
    .option('--events <n>', 'write this many events (row changes and mainframe records)')
    .option('--duration <d>', 'write for this long instead (90s, 2m, 1h)')
    .option('--rate <r>', 'target events per second', String(SIMULATE_DEFAULTS.rate))
    .option(
      '--seed <s>',
      'seed of the activity: the same seed and options repeat it (default: a fresh one, printed)',
    )
    .option('--run-id <id>', 'five letters or digits naming the run and its SKUs (default: a fresh one)')
    .option(
      '--stores <n>',
      'stores, half north (PostgreSQL) and half south (MariaDB)',
      String(SIMULATE_DEFAULTS.stores),
    )
    .option(
      '--warehouses <n>',
      'warehouses: 1 (W001) or 2 (W001, W002)',
      String(SIMULATE_DEFAULTS.warehouses),
    )
    .option('--items <n>', 'items of this run (SKUs S<run id>-00001 ...)', String(SIMULATE_DEFAULTS.items))
    .option(
      '--count-freeze <seconds>',
      'after a count, no other activity on that item there for this long',
      String(SIMULATE_DEFAULTS.countFreezeSeconds),
    )
    .option(
      '--sap-late-share <fraction>',
      "share of SAP documents committed late: SAP's update task holds the transaction open, so they commit after later ones with an older entry time (0 to 1)",
      String(SIMULATE_DEFAULTS.sapLateShare),
    )
    .option(
      '--sap-max-hold <d>',
      "the longest such a transaction stays open (500ms, 5s, 2m); more than the SAP capture's safety lag tests its sweep",
      `${SIMULATE_DEFAULTS.sapMaxHoldSeconds}s`,
    )
    .option(
      '--expect-file <path>',
      'where to write the expected stock (default: .stack/simulations/<run id>.expected.json)',
    )
    .action(async (flags: SimulateFlags) => {
      const options = parseSimulateFlags(flags);
      const { config } = cliContext();
      const controller = new AbortController();
      // The first Ctrl-C stops after the batch being written and still writes the expectation.
      process.once('SIGINT', () => controller.abort());
      const status = statusLine();
      const plan =
        options.events !== undefined ? `${options.events} events` : `${(options.durationMs ?? 0) / 1000} s`;
      const report = await simulate(config, options, {
        signal: controller.signal,
        onStart: ({ runId, skuPrefix, items }) =>
          print(
            `simulate run ${runId}: seed ${options.seed}, ${options.stores} stores, ${options.warehouses} warehouse(s), ${items} items (SKUs ${skuPrefix}*), ${plan} at ${options.rate}/s`,
          ),
        onProgress: (p) => status.update(() => progressLine(p)),
        // The first failure of a batch and then every tenth: enough to see an outage, not a flood.
        onRetry: ({ source, attempt, error, retryInMs }) => {
          if (attempt === 1 || attempt % 10 === 0)
            process.stderr.write(
              `simulate: writing to ${source} failed (${describeError(error)}); retrying in ${retryInMs} ms (attempt ${attempt})\n`,
            );
        },
      });
      status.done();
      const { result, expectation, file } = report;
      print(progressLine(result));
      printTable(
        ['source', 'table', 'inserted', 'updated'],
        Object.entries(result.counts).flatMap(([source, tables]) =>
          Object.entries(tables).map(([table, n]) => [source, table, n.inserted, n.updated]),
        ),
      );
      const { run } = expectation;
      print(
        `${run.outcome === 'complete' ? 'done' : run.outcome}: ${run.events} events in ${run.elapsedSeconds} s, achieved ${run.achievedRate}/s (target ${options.rate}/s)`,
      );
      print(
        `expected stock: ${Object.keys(expectation.stock).length} rows (sku@location), ${run.inTransit} transfer line(s) still in transit`,
      );
      print(`  -> ${displayPath(file)}`);
      print(`check the pipeline: ./stockline verify --expect-file ${displayPath(file)}`);
      print(`repeat the activity: ${repeatCommand(options)}`);
      if (result.outcome === 'failed') throw result.error;
    });
}
