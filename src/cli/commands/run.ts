import type { Command } from 'commander';
import type { RoleHandle, StartRole } from '../../service/role.js';
import { UsageError } from '../../errors.js';
import { cliContext } from '../context.js';

const ROLES: Record<string, () => Promise<StartRole>> = {
  mapper: async () => (await import('../../mapper/service.js')).startMapper,
  materializer: async () => (await import('../../materializer/service.js')).startMaterializer,
  api: async () => (await import('../../api/service.js')).startApi,
};

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the service: mapper, materializer (and API) in one process, or one role with --role')
    .option('--role <role>', `one role only: ${Object.keys(ROLES).join(', ')}`)
    .action(async (options: { role?: string }) => {
      const { config, log } = cliContext();
      const names = options.role ? [options.role] : Object.keys(ROLES);
      const unknown = names.filter((n) => !ROLES[n]);
      if (unknown.length > 0)
        throw new UsageError(`unknown role ${unknown.join(', ')}; roles: ${Object.keys(ROLES).join(', ')}`);
      const handles: RoleHandle[] = [];
      for (const name of names) handles.push(await (await ROLES[name]!())(config, log.child({ role: name })));
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        log.info('stopping');
        await Promise.allSettled(handles.map((h) => h.stop()));
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
      await Promise.all(handles.map((h) => h.done));
    });
}
