import type { Command } from 'commander';
import { createReader } from '../../kafka/clients.js';
import type { KafkaRecord } from '../../kafka/port.js';
import { cliContext } from '../context.js';
import { print } from '../output.js';

/** JSON pretty-printed, text as text, anything else (EBCDIC records) as hex. */
export function renderBytes(bytes: Buffer | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'null';
  const text = bytes.toString('utf8');
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    /* not JSON */
  }
  // eslint-disable-next-line no-control-regex -- looking for control bytes is the point
  const printable = !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text);
  return printable ? text : `hex ${bytes.toString('hex')}`;
}

export function renderRecord(record: KafkaRecord): string {
  const headers = Object.entries(record.headers)
    .map(([k, v]) => `  ${k}: ${v === undefined ? '' : renderBytes(v)}`)
    .join('\n');
  return [
    `--- ${record.topic} [partition ${record.partition}, offset ${record.offset}, ${new Date(Number(record.timestamp)).toISOString()}]`,
    `key: ${renderBytes(record.key)}`,
    headers ? `headers:\n${headers}` : 'headers: (none)',
    `value: ${renderBytes(record.value)}`,
  ].join('\n');
}

export function registerTailCommand(program: Command): void {
  program
    .command('tail <topics...>')
    .description(
      'print records (key, headers, value pretty-printed) from topics, for checking that capture works',
    )
    .option('--new', 'only records that arrive from now on (default: from the beginning)')
    .option('--max <count>', 'stop after this many records')
    .option('--idle <seconds>', 'stop when no record arrived for this long')
    .option('--wait <seconds>', 'wait this long for a topic that does not exist yet', '0')
    .action(
      async (topics: string[], options: { new?: boolean; max?: string; idle?: string; wait: string }) => {
        const { config } = cliContext();
        const reader = createReader(config.kafka, `${config.kafka.clientId}-tail`);
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        const max = options.max ? Number(options.max) : Infinity;
        const idleMs = options.idle ? Number(options.idle) * 1000 : undefined;
        let idleTimer: NodeJS.Timeout | undefined;
        const armIdle = () => {
          if (idleMs === undefined) return;
          clearTimeout(idleTimer);
          idleTimer = setTimeout(() => controller.abort(), idleMs);
        };
        armIdle();
        let seen = 0;
        await reader.read({
          topics,
          fromBeginning: !options.new,
          signal: controller.signal,
          waitForTopicsMs: Number(options.wait) * 1000,
          onRecord: (record) => {
            print(renderRecord(record));
            armIdle();
            return ++seen < max;
          },
        });
        clearTimeout(idleTimer);
        print(`(${seen} record${seen === 1 ? '' : 's'})`);
      },
    );
}
