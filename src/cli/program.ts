import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { StocklineError } from '../errors.js';
import { registerConfigCommands } from './commands/config.js';
import { registerConnectorCommands } from './commands/connectors.js';
import type { PlaceholderDefaults } from '../connectors/environment.js';
import { registerDeadLetterCommands } from './commands/deadletters.js';
import { registerMappingCommands } from './commands/mappings.js';
import { registerRunCommand } from './commands/run.js';
import { registerTailCommand } from './commands/tail.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * What a build of the command line adds to the product's commands: the development commands
 * and the local stack's connector placeholders (src/dev/cli/index.ts, wired by src/main.ts).
 */
export interface CommandLineExtensions {
  register(program: Command): void;
  placeholderDefaults?: PlaceholderDefaults;
}

export function buildProgram(extensions?: CommandLineExtensions): Command {
  const program = new Command('stockline')
    .description(
      'stockline: store, SAP and mainframe stock changes into canonical inventory events and a stock table',
    )
    .version(version)
    .showHelpAfterError('(run stockline --help for the commands)')
    .exitOverride();
  registerRunCommand(program);
  registerMappingCommands(program);
  registerDeadLetterCommands(program);
  extensions?.register(program);
  registerConnectorCommands(program, extensions?.placeholderDefaults);
  registerTailCommand(program);
  registerConfigCommands(program);
  return program;
}

/** One clear message for what we expected to go wrong; a stack trace only for what we did not. */
export async function main(argv: string[], extensions?: CommandLineExtensions): Promise<number> {
  try {
    await buildProgram(extensions).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof StocklineError) {
      process.stderr.write(`stockline: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(
      `stockline: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 70;
  }
}
