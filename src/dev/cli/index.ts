import type { Command } from 'commander';
import { registerDemoCommand } from './demo.js';
import { registerSimulateCommand } from './simulate.js';
import { registerStackCommands } from './stack.js';
import { registerVerifyCommand } from './verify.js';
import { localStackDefaults } from '../stack/connector-defaults.js';

import type { CommandLineExtensions } from '../../cli/program.js';

/**
 * What the development tools add to the `stockline` command line (src/main.ts wires it; the
 * product never imports src/dev/): the commands simulate, verify, demo and stack, and the local
 * stack's hosts, ports and secrets for connector placeholders the environment leaves unset
 * (used only when Connect is the local stack's).
 */
export const devCommandLine: CommandLineExtensions = {
  register(program: Command) {
    registerSimulateCommand(program);
    registerVerifyCommand(program);
    registerDemoCommand(program);
    registerStackCommands(program);
  },
  placeholderDefaults: localStackDefaults,
};
