import type { Command } from 'commander';
import { runDemo } from '../demo/demo.js';
import { DEMO_DEFAULTS, parseDemoFlags, type DemoFlags } from '../demo/options.js';
import { SIMULATE_DEFAULTS } from '../simulator/options.js';
import { cliContext } from '../../cli/context.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'one command: start the stack and connectors, run the pipeline and the simulator with a live view, then verify the stock table',
    )
    .option('--duration <d>', 'simulate for this long (90s, 2m, 1h); default: until Ctrl-C or SIGTERM')
    .option('--rate <r>', 'target events per second', String(DEMO_DEFAULTS.rate))
    .option('--seed <s>', 'seed of the activity (default: a fresh one, printed)')
    .option(
      '--stores <n>',
      'stores, half north (PostgreSQL) and half south (MariaDB)',
      String(SIMULATE_DEFAULTS.stores),
    )
    .option('--warehouses <n>', 'warehouses: 1 or 2', String(SIMULATE_DEFAULTS.warehouses))
    .option('--items <n>', 'items of the run', String(SIMULATE_DEFAULTS.items))
    .option(
      '--popular <n>',
      "how many of the run's most popular items to show",
      String(DEMO_DEFAULTS.popular),
    )
    .option(
      '--verify-timeout <seconds>',
      'at the end, wait at most this long for the pipeline to catch up',
      String(DEMO_DEFAULTS.verifyTimeoutSeconds),
    )
    .option(
      '--settle <seconds>',
      'stop waiting early when the rows stopped changing for this long',
      String(DEMO_DEFAULTS.settleSeconds),
    )
    .action(async (flags: DemoFlags) => {
      const options = parseDemoFlags(flags);
      const { config } = cliContext();
      // The first Ctrl-C (or SIGTERM) stops the simulator and verifies; the second skips the
      // waiting; the third leaves at once.
      const stop = new AbortController();
      const skip = new AbortController();
      let signals = 0;
      const onSignal = () => {
        signals++;
        if (signals === 1) stop.abort();
        else if (signals === 2) skip.abort();
        else process.exit(130);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        process.exitCode = await runDemo(config, options, { stop: stop.signal, skip: skip.signal });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
