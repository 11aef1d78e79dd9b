import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { StocklineError } from '../errors.js';
import { registerConfigCommands } from './commands/config.js';
import { registerConnectorCommands } from './commands/connectors.js';
import { registerStackCommands } from '../dev/cli/stack.js';
import { registerDeadLetterCommands } from './commands/deadletters.js';
import { registerDemoCommand } from '../dev/cli/demo.js';
import { registerMappingCommands } from './commands/mappings.js';
import { registerRunCommand } from './commands/run.js';
import { registerSimulateCommand } from '../dev/cli/simulate.js';
import { registerTailCommand } from './commands/tail.js';
import { registerVerifyCommand } from '../dev/cli/verify.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
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
  registerSimulateCommand(program);
  registerVerifyCommand(program);
  registerDemoCommand(program);
  registerStackCommands(program);
  registerConnectorCommands(program);
  registerTailCommand(program);
  registerConfigCommands(program);
  return program;
}

/** One clear message for what we expected to go wrong; a stack trace only for what we did not. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
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

process.exitCode = await main(process.argv);
// Kafka clients and database pools may keep the loop alive; a CLI command is done here.
process.exit(process.exitCode);
