import type { Command } from 'commander';
import { enabledRoles, ROLE_NAMES, rolesNamed } from '../../roles/registry.js';
import { startRoles, stopRoles } from '../../roles/start.js';
import { cliContext } from '../context.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run the service: mapper, materializer, API (and the MQ replicator when mq.queues lists queues) in one process, or one role with --role',
    )
    .option('--role <role>', `one role only: ${ROLE_NAMES.join(', ')}`)
    .action(async (options: { role?: string }) => {
      const { config, log } = cliContext();
      const names = options.role ? rolesNamed([options.role]) : enabledRoles(config);
      const running = await startRoles(names, config, log);
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        log.info('stopping');
        await stopRoles(running, log);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
      await Promise.all(running.map((r) => r.handle.done));
    });
}
