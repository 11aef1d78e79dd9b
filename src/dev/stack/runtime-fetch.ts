import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { StackError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { StackLayout } from './layout.js';
import { run } from './processes.js';

const REQUIRED_PLUGINS = ['debezium-connector-postgres', 'debezium-connector-mariadb'];

function pomDigest(layout: StackLayout): string {
  return createHash('sha256').update(readFileSync(layout.pom)).digest('hex');
}

/** The runtime is current when it was fetched from this exact pom and all its parts are there. */
export function runtimeIsCurrent(layout: StackLayout): boolean {
  if (!existsSync(layout.runtimeStamp) || !existsSync(layout.lib)) return false;
  if (readFileSync(layout.runtimeStamp, 'utf8').trim() !== pomDigest(layout)) return false;
  const jars = readdirSync(layout.lib);
  if (!jars.some((j) => j.startsWith('kafka_2.13-')) || !jars.some((j) => j.startsWith('connect-runtime-')))
    return false;
  return REQUIRED_PLUGINS.every((p) => existsSync(path.join(layout.plugins, p)));
}

/**
 * Fetches Kafka, Kafka Connect, log4j2 and the Debezium plugins from Maven Central through
 * connectors/runtime/pom.xml. A second call with the same pom does nothing.
 */
export async function fetchRuntime(
  layout: StackLayout,
  log: Logger,
  options: { force?: boolean } = {},
): Promise<boolean> {
  if (!options.force && runtimeIsCurrent(layout)) {
    log.debug({ runtime: layout.runtime }, 'stack runtime already fetched');
    return false;
  }
  log.info(
    { pom: layout.pom, runtime: layout.runtime },
    'fetching Kafka, Kafka Connect and Debezium from Maven Central',
  );
  const started = Date.now();
  try {
    await run('mvn', ['-B', '-q', '-f', layout.pom, `-Dstack.runtime.dir=${layout.runtime}`, 'package']);
  } catch (e) {
    throw new StackError(
      `could not fetch the stack runtime with Maven: ${(e as Error).message}`,
      { part: 'runtime', file: layout.pom },
      e,
    );
  }
  writeFileSync(layout.runtimeStamp, `${pomDigest(layout)}\n`);
  log.info({ seconds: Math.round((Date.now() - started) / 100) / 10 }, 'stack runtime fetched');
  return true;
}
