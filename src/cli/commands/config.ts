import type { Command } from 'commander';
import { redactSecrets } from '../../config/load.js';
import { cliContext } from '../context.js';
import { print, printJson } from '../output.js';

export function registerConfigCommands(program: Command): void {
  const group = program
    .command('config')
    .description('check the service configuration without running anything');
  group
    .command('check')
    .description(
      'load config/ for STOCKLINE_ENV with environment overrides; print the result or every problem',
    )
    .option('--print', 'print the effective configuration, secrets shown as [redacted]')
    .action((options: { print?: boolean }) => {
      const { config } = cliContext();
      if (options.print) printJson(redactSecrets(config));
      else print(`configuration valid (environment ${process.env.STOCKLINE_ENV ?? 'development'})`);
    });
}
