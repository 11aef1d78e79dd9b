import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { readMappings, reservedTopics } from '../../mapper/mapping-files.js';
import { runMappingTest, testInput } from '../../mapping/test-runner.js';
import { cliContext } from '../context.js';
import { print, printJson } from '../output.js';

export function registerMappingCommands(program: Command): void {
  const group = program
    .command('mappings')
    .description('validate, test and explain the YAML mappings in mappings/');

  group
    .command('validate [dir]')
    .description('load and compile every mapping, lookup and test file without running them')
    .action((dir?: string) => {
      const { config } = cliContext();
      const folder = dir ?? config.mapper.mappingsDir;
      const { mappings, tests, lookups, warnings } = readMappings(folder, reservedTopics(config));
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      print(
        `${mappings.length} mapping(s), ${lookups.names().length} lookup table(s), ${tests.length} test(s) valid in ${folder}`,
      );
    });

  group
    .command('test [dir]')
    .description('run every mapping test (in the mapping file or beside it); exit 1 on any failure')
    .option('--mapping <name>', 'only the tests of this mapping')
    .action(async (dir: string | undefined, options: { mapping?: string }) => {
      const folder = dir ?? cliContext().config.mapper.mappingsDir;
      const { tests, sources } = readMappings(folder);
      const selected = tests.filter((t) => !options.mapping || t.mapping.name === options.mapping);
      let failed = 0;
      for (const test of selected) {
        const result = await runMappingTest(test, sources.readRelative, tests).catch((e: Error) => ({
          passed: false,
          failure: e.message,
        }));
        if (result.passed) print(`  ✔ ${test.mapping.name}: ${test.test.name}`);
        else {
          failed++;
          print(
            `  ✘ ${test.mapping.name}: ${test.test.name} (${test.file}${test.line ? `:${test.line}` : ''})\n      ${result.failure ?? ''}`,
          );
        }
      }
      print(`\n${selected.length - failed} passed, ${failed} failed`);
      if (failed > 0) process.exitCode = 1;
    });

  group
    .command('explain <mapping> <input>')
    .description(
      "show each field's value and where it came from, for one input (a JSON file, a binary record, or a test name)",
    )
    .option('--dir <folder>', 'mappings folder')
    .option('--topic <topic>', "the topic the input came from (default: the mapping's first topic)")
    .option('--key <json>', 'the message key')
    .option('--json', 'print as JSON')
    .action(
      async (
        name: string,
        input: string,
        options: { dir?: string; topic?: string; key?: string; json?: boolean },
      ) => {
        const folder = options.dir ?? cliContext().config.mapper.mappingsDir;
        const { mappings, tests, sources } = readMappings(folder);
        const mapping = mappings.find((m) => m.name === name);
        if (!mapping)
          throw new UsageError(
            `no mapping named "${name}"; mappings: ${mappings.map((m) => m.name).join(', ')}`,
          );
        const test = tests.find((t) => t.mapping === mapping && t.test.name === input);
        let raw;
        if (test) raw = testInput(test, sources.readRelative);
        else if (existsSync(input)) {
          const topic = options.topic ?? mapping.topics[0];
          if (!topic) throw new UsageError('the mapping reads a topic pattern: give --topic');
          raw = {
            topic,
            partition: 0,
            offset: '0',
            key: options.key ? Buffer.from(options.key) : null,
            value: readFileSync(input),
            headers: {},
          };
        } else
          throw new UsageError(
            `"${input}" is neither a file nor a test of ${name}; tests: ${tests
              .filter((t) => t.mapping === mapping)
              .map((t) => t.test.name)
              .join(' | ')}`,
          );
        const { outcome, fields } = await mapping.explain(raw);
        if (options.json) return printJson({ outcome, fields });
        print(
          `mapping ${mapping.name} (${path.relative(process.cwd(), mapping.file) || mapping.file}) on ${raw.topic}`,
        );
        for (const f of fields)
          print(
            `  emit[${f.emit}].${f.field.padEnd(11)} = ${JSON.stringify(f.value)}   <- ${f.origin} ${f.text}`,
          );
        if (outcome.kind === 'events')
          for (const e of outcome.events)
            print(
              `  => ${e.type} ${e.subject} ${e.data.quantity} ${e.data.unit} ${e.data.reason} at ${e.data.occurredAt} (id ${e.id})`,
            );
        else if (outcome.kind === 'skipped') print(`  => skipped: ${outcome.reason}`);
        else {
          print(`  => error: ${outcome.error}`);
          process.exitCode = 1;
        }
      },
    );
}
