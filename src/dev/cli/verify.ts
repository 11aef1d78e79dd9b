import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { displayPath } from '../../shared/display-path.js';
import { latestExpectationFile, readExpectation } from '../simulator/expectation-file.js';
import { statusLine } from '../simulator/progress.js';
import { awaitStock, differenceRows, ENDINGS, stockTableReader, tally } from '../simulator/verify.js';
import { withStackSecrets } from '../stack/dev-secrets.js';
import { createStockDb } from '../../stock/db.js';
import { cliContext } from '../../cli/context.js';
import { print, printTable } from '../../cli/output.js';

interface VerifyFlags {
  expectFile: string;
  timeout: string;
  settle: string;
}

function seconds(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--${flag} must be a number of seconds, not "${text}"`);
  return n * 1000;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(
      "wait until the stock table has caught up with a simulation run, compare it with the run's expected stock, print every difference",
    )
    .option('--expect-file <path>', 'the expected stock of `stockline simulate`, or "latest"', 'latest')
    .option('--timeout <seconds>', 'wait at most this long for the pipeline to catch up', '120')
    .option('--settle <seconds>', 'stop waiting early when the rows stopped changing for this long', '20')
    .action(async (flags: VerifyFlags) => {
      // A development command: against the local stack it uses the stack's stock database password.
      const config = withStackSecrets(cliContext().config);
      const timeoutMs = seconds('timeout', flags.timeout);
      const settleMs = seconds('settle', flags.settle);
      const file = flags.expectFile === 'latest' ? latestExpectationFile(config) : flags.expectFile;
      const expectation = readExpectation(file);
      const expected = Object.keys(expectation.stock).length;
      print(
        `verify run ${expectation.runId} (${displayPath(file)}): ${expected} expected rows; waiting up to ${timeoutMs / 1000} s for the stock table`,
      );
      const db = createStockDb(config, { applicationName: 'stockline-verify' });
      const status = statusLine();
      try {
        const { comparison, waitedMs, ending } = await awaitStock(
          stockTableReader(db, expectation.skuPrefix),
          expectation.stock,
          {
            timeoutMs,
            settleMs,
            onPoll: (c, waited) => status.update(() => `${(waited / 1000).toFixed(0)} s: ${tally(c)}`),
          },
        );
        status.done();
        if (comparison.differences.length > 0)
          printTable(['sku', 'location', 'expected', 'actual', 'difference'], differenceRows(comparison));
        const why = ENDINGS[ending];
        print(`${expected} expected: ${tally(comparison)} (${why} after ${(waitedMs / 1000).toFixed(1)} s)`);
        if (expectation.run.outcome !== 'complete')
          print(`note: the run ended ${expectation.run.outcome}; the expectation covers what it wrote`);
        print(
          comparison.differences.length === 0
            ? 'OK: the stock table matches the simulation'
            : 'FAILED: the stock table differs',
        );
        if (comparison.differences.length > 0) process.exitCode = 1;
      } finally {
        status.done();
        await db.destroy();
      }
    });
}
