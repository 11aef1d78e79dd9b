import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorConfigError, RemoteError } from '../errors.js';
import type { ConnectClient, ConnectorStatus } from './connect-client.js';
import { redactConfig, type ConnectorFile } from './connector-file.js';

/** Local checks happened when the files loaded; this asks Kafka Connect's validate endpoint. */
export async function validateRemotely(client: ConnectClient, connectors: ConnectorFile[]): Promise<void> {
  const problems: string[] = [];
  for (const c of connectors) {
    let result;
    try {
      result = await client.validate(c.connectorClass, { ...c.config, name: c.name });
    } catch (e) {
      if (e instanceof RemoteError && !e.retriable) {
        problems.push(
          `${c.file}: connector.class ${c.connectorClass}: Kafka Connect refused it (${e.message})`,
        );
        continue;
      }
      throw e;
    }
    for (const entry of result.configs) {
      for (const error of entry.value.errors) {
        const p = c.positions.get(entry.value.name);
        const where = p ? `${p.file}:${p.line}:${p.column}` : c.file;
        problems.push(`${where}: ${entry.value.name}: ${error}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new ConnectorConfigError(
      `Kafka Connect rejects ${problems.length} setting(s):\n  - ${problems.join('\n  - ')}`,
      { problems },
    );
  }
}

export type ApplyAction = 'created' | 'updated' | 'unchanged';

function deployedWithoutName(config: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!config) return undefined;
  const { name: _name, ...rest } = config;
  return rest;
}

/** Creates or updates each connector; a connector whose deployed config is the same is left alone. */
export async function applyConnectors(
  client: ConnectClient,
  connectors: ConnectorFile[],
): Promise<{ name: string; action: ApplyAction }[]> {
  await validateRemotely(client, connectors);
  const results: { name: string; action: ApplyAction }[] = [];
  for (const c of connectors) {
    const deployed = deployedWithoutName(await client.config(c.name));
    if (deployed && isDeepStrictEqual(deployed, c.config)) {
      results.push({ name: c.name, action: 'unchanged' });
      continue;
    }
    await client.putConfig(c.name, c.config);
    results.push({ name: c.name, action: deployed ? 'updated' : 'created' });
  }
  return results;
}

export interface ConfigDifference {
  name: string;
  state: 'same' | 'differs' | 'not deployed' | 'only deployed';
  changes: { key: string; local: string | undefined; deployed: string | undefined }[];
}

export async function diffConnectors(
  client: ConnectClient,
  connectors: ConnectorFile[],
  includeDeployedOnly: boolean,
): Promise<ConfigDifference[]> {
  const result: ConfigDifference[] = [];
  for (const c of connectors) {
    const deployed = deployedWithoutName(await client.config(c.name));
    if (!deployed) {
      result.push({ name: c.name, state: 'not deployed', changes: [] });
      continue;
    }
    const local = redactConfig(c.config);
    const remote = redactConfig(deployed);
    const keys = [...new Set([...Object.keys(c.config), ...Object.keys(deployed)])].sort();
    const changes = keys
      .filter((k) => c.config[k] !== deployed[k])
      // A changed secret shows as a change, never its value.
      .map((k) => ({ key: k, local: local[k], deployed: remote[k] }));
    result.push({ name: c.name, state: changes.length === 0 ? 'same' : 'differs', changes });
  }
  if (includeDeployedOnly) {
    const known = new Set(connectors.map((c) => c.name));
    for (const name of await client.connectors()) {
      if (!known.has(name)) result.push({ name, state: 'only deployed', changes: [] });
    }
  }
  return result;
}

export async function connectorStatuses(
  client: ConnectClient,
  names: string[],
): Promise<(ConnectorStatus | { name: string; missing: true })[]> {
  return Promise.all(
    names.map(async (name) => (await client.status(name)) ?? { name, missing: true as const }),
  );
}

function failed(status: ConnectorStatus): boolean {
  return status.connector.state === 'FAILED' || status.tasks.some((t) => t.state === 'FAILED');
}

/** Restarts connectors that failed, and only their failed tasks. */
export async function restartFailed(client: ConnectClient, names: string[]): Promise<string[]> {
  const restarted: string[] = [];
  for (const name of names) {
    const status = await client.status(name);
    if (status && failed(status)) {
      await client.restartFailed(name);
      restarted.push(name);
    }
  }
  return restarted;
}

/** Waits until each connector and all its tasks run; a failure reports its trace at once. */
export async function waitRunning(client: ConnectClient, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = names;
  while (pending.length > 0) {
    const statuses = await Promise.all(
      pending.map(async (n) => ({ name: n, status: await client.status(n) })),
    );
    for (const { name, status } of statuses) {
      if (status && failed(status)) {
        const trace = status.connector.trace ?? status.tasks.find((t) => t.trace)?.trace ?? '';
        throw new RemoteError(
          `connector ${name} failed:\n${trace.split('\n').slice(0, 12).join('\n')}`,
          { connector: name },
          { retriable: false },
        );
      }
    }
    pending = statuses
      .filter(
        ({ status }) =>
          !status ||
          status.connector.state !== 'RUNNING' ||
          status.tasks.length === 0 ||
          status.tasks.some((t) => t.state !== 'RUNNING'),
      )
      .map(({ name }) => name);
    if (pending.length === 0) return;
    if (Date.now() > deadline)
      throw new RemoteError(`connectors not running after ${timeoutMs / 1000} s: ${pending.join(', ')}`, {});
    await sleep(500);
  }
}

/** Waits until the connector is STOPPED (its tasks shut down), as deleting its offsets requires. */
export async function waitStopped(client: ConnectClient, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await client.status(name);
    if (status?.connector.state === 'STOPPED' && status.tasks.length === 0) return;
    if (Date.now() > deadline)
      throw new RemoteError(
        `connector ${name} not stopped after ${timeoutMs / 1000} s (state ${status?.connector.state ?? 'missing'})`,
        { connector: name },
      );
    await sleep(250);
  }
}

/**
 * Resets a source connector's offsets the way Kafka Connect documents it (3.6+): stop, delete
 * the offsets, resume. A Debezium connector with `snapshot.mode: initial` then snapshots its
 * tables again (every row as an `r` event) before it streams on.
 */
export async function resetOffsets(client: ConnectClient, name: string, timeoutMs = 120000): Promise<void> {
  await client.stop(name);
  await waitStopped(client, name, timeoutMs);
  await client.deleteOffsets(name);
  await client.resume(name);
  await waitRunning(client, [name], timeoutMs);
}
