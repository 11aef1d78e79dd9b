import type { Command } from 'commander';
import { listDeadLetters, replayDeadLetters } from '../../mapper/dead-letter-replay.js';
import { cliContext } from '../context.js';
import { print, printJson, printTable } from '../output.js';

export function registerDeadLetterCommands(program: Command): void {
  const group = program
    .command('deadletters')
    .description('list the events no mapping could map, and replay them after a fix');

  group
    .command('list')
    .description('list dead letters: mapping, reason, and the source topic, partition and offset')
    .option('--mapping <name>', 'only those of one mapping')
    .option('--max <count>', 'at most this many')
    .option('--json', 'print as JSON')
    .action(async (options: { mapping?: string; max?: string; json?: boolean }) => {
      const letters = await listDeadLetters(cliContext().config, {
        mapping: options.mapping,
        max: options.max ? Number(options.max) : undefined,
      });
      if (options.json) return printJson(letters);
      printTable(
        ['dlq offset', 'mapping', 'code', 'reason', 'source', 'time'],
        letters.map((l) => [
          l.offset,
          l.mapping,
          l.code,
          l.error.length > 100 ? `${l.error.slice(0, 97)}...` : l.error,
          l.source,
          l.time,
        ]),
      );
      print(`${letters.length} dead letter(s)`);
    });

  group
    .command('replay')
    .description(
      'send dead letters back to their source topic (original bytes), so the fixed mappings map them again',
    )
    .option('--mapping <name>', 'only those of one mapping')
    .option('--dry-run', 'show what would be replayed, remember nothing')
    .action(async (options: { mapping?: string; dryRun?: boolean }) => {
      const { replayed, skipped, incomplete } = await replayDeadLetters(cliContext().config, options);
      for (const l of replayed)
        print(
          `${options.dryRun ? 'would replay' : 'replayed'} ${l.offset} -> ${l.source} (${l.mapping}: ${l.error})`,
        );
      for (const l of incomplete)
        print(`not replayed ${l.offset} (${l.mapping}): ${l.error}; replay the original from there`);
      print(
        `${replayed.length} replayed${options.dryRun ? ' (dry run)' : ''}, ${skipped} of other mappings left alone` +
          (incomplete.length > 0 ? `, ${incomplete.length} too large to carry whole left alone` : ''),
      );
    });
}
