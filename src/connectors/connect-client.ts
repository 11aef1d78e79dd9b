import pRetry, { AbortError } from 'p-retry';
import { RemoteError } from '../errors.js';

export interface ConnectorPlugin {
  class: string;
  type: string;
  version: string;
}

export interface ConnectorState {
  state: 'RUNNING' | 'PAUSED' | 'FAILED' | 'UNASSIGNED' | 'RESTARTING' | 'STOPPED';
  worker_id: string;
  trace?: string;
}

export interface ConnectorStatus {
  name: string;
  connector: ConnectorState;
  tasks: (ConnectorState & { id: number })[];
  type: string;
}

export interface ValidationResult {
  name: string;
  error_count: number;
  configs: {
    definition: { name: string };
    value: { name: string; value: string | null; errors: string[] };
  }[];
}

/**
 * The Kafka Connect REST API. 409 (a rebalance in progress) and network errors are retried
 * with backoff; other 4xx are the caller's mistake and are not.
 */
export class ConnectClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 30000,
  ) {}

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    accept404 = false,
  ): Promise<T | undefined> {
    const url = `${this.baseUrl.replace(/\/$/, '')}${path}`;
    return pRetry(
      async () => {
        let response: Response;
        try {
          response = await fetch(url, {
            method,
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(this.timeoutMs),
          });
        } catch (e) {
          const cause = (e as Error & { cause?: Error }).cause;
          throw new RemoteError(
            `Kafka Connect at ${this.baseUrl} did not answer ${method} ${path}: ${cause?.message ?? (e as Error).message}`,
            {
              url,
            },
            { cause: e },
          );
        }
        if (response.status === 404 && accept404) return undefined;
        const text = await response.text();
        if (!response.ok) {
          let message = text;
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? text;
          } catch {
            /* not JSON: keep the text */
          }
          const error = new RemoteError(
            `Kafka Connect ${method} ${path} answered ${response.status}: ${message}`,
            {
              url,
              status: response.status,
            },
            { retriable: response.status === 409 || response.status >= 500 },
          );
          if (!error.retriable) throw new AbortError(error);
          throw error;
        }
        return (text ? JSON.parse(text) : undefined) as T;
      },
      { retries: 4, minTimeout: 500, factor: 2 },
    );
  }

  async plugins(): Promise<ConnectorPlugin[]> {
    return (await this.request<ConnectorPlugin[]>('GET', '/connector-plugins?connectorsOnly=true')) ?? [];
  }

  async connectors(): Promise<string[]> {
    return (await this.request<string[]>('GET', '/connectors')) ?? [];
  }

  config(name: string): Promise<Record<string, string> | undefined> {
    return this.request('GET', `/connectors/${encodeURIComponent(name)}/config`, undefined, true);
  }

  async putConfig(name: string, config: Record<string, string>): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
  }

  status(name: string): Promise<ConnectorStatus | undefined> {
    return this.request('GET', `/connectors/${encodeURIComponent(name)}/status`, undefined, true);
  }

  async validate(connectorClass: string, config: Record<string, string>): Promise<ValidationResult> {
    const shortName = connectorClass.split('.').pop() ?? connectorClass;
    const result = await this.request<ValidationResult>(
      'PUT',
      `/connector-plugins/${encodeURIComponent(shortName)}/config/validate`,
      config,
    );
    if (!result)
      throw new RemoteError(`Kafka Connect returned no validation result for ${connectorClass}`, {});
    return result;
  }

  /** Restarts the connector and only its failed tasks. */
  async restartFailed(name: string): Promise<void> {
    await this.request(
      'POST',
      `/connectors/${encodeURIComponent(name)}/restart?includeTasks=true&onlyFailed=true`,
    );
  }

  /**
   * Stops the connector and its tasks (state STOPPED, Kafka Connect 3.5+): unlike a pause, its
   * tasks are shut down, which is what deleting or altering its offsets requires.
   */
  async stop(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/stop`);
  }

  /** Resumes a paused or stopped connector. */
  async resume(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/resume`);
  }

  /** The source offsets the connector has committed (Kafka Connect 3.5+). */
  async offsets(name: string): Promise<{ partition: unknown; offset: unknown }[]> {
    const body = await this.request<{ offsets: { partition: unknown; offset: unknown }[] }>(
      'GET',
      `/connectors/${encodeURIComponent(name)}/offsets`,
    );
    return body?.offsets ?? [];
  }

  /**
   * Deletes the connector's committed source offsets (Kafka Connect 3.6+; the connector must be
   * STOPPED): once resumed, a Debezium connector with `snapshot.mode: initial` snapshots its
   * tables again, as on its first start.
   */
  async deleteOffsets(name: string): Promise<void> {
    await this.request('DELETE', `/connectors/${encodeURIComponent(name)}/offsets`);
  }

  async remove(name: string): Promise<void> {
    await this.request('DELETE', `/connectors/${encodeURIComponent(name)}`, undefined, true);
  }
}
