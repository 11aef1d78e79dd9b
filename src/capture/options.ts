// The SAP capture's options, compiled once from its config sections (src/service/options.ts says how).
import { IANAZone } from 'luxon';
import type { StocklineConfig } from '../config/schema.js';
import type { BucketLength, SapConnectionOptions } from '../sap/port.js';
import type { SapDriver } from '../sap/sources.js';
import {
  deepFreeze,
  frozenCopy,
  refuseImpossible,
  sameTopicRefusals,
  topicSettingsRefusal,
  type Refusal,
} from '../service/options.js';
import type { CaptureCoreOptions } from './capture.js';
import { topicOf } from './records.js';

/** What the capture reads from the configuration: its section, Kafka, and the topics other roles write. */
export type CaptureSections = Pick<StocklineConfig, 'sap' | 'kafka'> & {
  mapper: Pick<StocklineConfig['mapper'], 'canonicalTopic' | 'deadLetterTopic'>;
  materializer: Pick<StocklineConfig['materializer'], 'stockTopic'>;
  mq: Pick<StocklineConfig['mq'], 'stateTopic' | 'deadLetterTopic'>;
};

export interface CaptureOptions {
  readonly kafka: Readonly<StocklineConfig['kafka']>;
  readonly driver: SapDriver;
  readonly connection: SapConnectionOptions;
  /** The schema as the database spells it. */
  readonly schema: string;
  readonly core: CaptureCoreOptions;
  /** Stable per source, so that a new instance fences the one before it. */
  readonly transactionalId: string;
  readonly pollIntervalMs: number;
  readonly sweepIntervalMs: number;
  /** The raw topics it writes (MATDOC's, MARD's). */
  readonly topics: { readonly matdoc: string; readonly mard: string };
}

/** Whether the configuration asks for a capture at all (`stockline run` without --role). */
export const captureConfigured = (config: Readonly<Pick<StocklineConfig, 'sap'>>): boolean =>
  config.sap.host !== '';

const BUCKETS: Readonly<Record<string, BucketLength>> = { day: 8, hour: 10, minute: 12 };
const BUCKET_MS: Readonly<Record<string, number>> = { day: 86400000, hour: 3600000, minute: 60000 };

/** Kafka transactional ids allow any characters, but a name people can read in the broker's tools helps. */
const idPart = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');

function sapRefusals(sap: Readonly<StocklineConfig['sap']>): Refusal[] {
  const r: Refusal[] = [];
  if (sap.host === '')
    r.push({
      keys: ['sap.host'],
      message:
        'sap.host is empty: name the SAP HANA host (or, with sap.driver postgres, the stand-in PostgreSQL host)',
    });
  if (sap.user === '')
    r.push({
      keys: ['sap.user'],
      message: 'sap.user is empty: name the user that may SELECT MATDOC and MARD',
    });
  if (sap.password === '')
    r.push({
      keys: ['sap.password'],
      message:
        'sap.password is not set: set STOCKLINE__SAP__PASSWORD or STOCKLINE__SAP__PASSWORD_FILE (against the local stack, the development commands set it)',
    });
  if (sap.driver === 'postgres' && sap.database === '')
    r.push({
      keys: ['sap.database', 'sap.driver'],
      message: 'sap.driver is postgres and sap.database is empty: name the stand-in database (sap)',
    });
  if (sap.tables.length !== 1)
    r.push({
      keys: ['sap.tables'],
      message: `sap.tables lists ${sap.tables.length} tables: the capture reads one insert-only movements table (MATDOC)`,
    });
  if (!IANAZone.isValidZone(sap.timeZone))
    r.push({
      keys: ['sap.timeZone'],
      message: `sap.timeZone is ${sap.timeZone}: expected an IANA time zone name (Europe/Berlin)`,
    });
  if (sap.topicPrefix === '')
    r.push({
      keys: ['sap.topicPrefix'],
      message: 'sap.topicPrefix is empty: the raw topics need a prefix (sap)',
    });
  if (sap.lookBackMs <= sap.safetyLagMs)
    r.push({
      keys: ['sap.lookBackMs', 'sap.safetyLagMs'],
      message: `sap.lookBackMs (${sap.lookBackMs}) is not longer than sap.safetyLagMs (${sap.safetyLagMs}): the sweep would look at nothing the fast path has passed; make the window much longer than the lag`,
    });
  if (sap.sweepIntervalMs >= sap.lookBackMs)
    r.push({
      keys: ['sap.sweepIntervalMs', 'sap.lookBackMs'],
      message: `sap.sweepIntervalMs (${sap.sweepIntervalMs}) is not shorter than sap.lookBackMs (${sap.lookBackMs}): a late row could leave the window before a sweep looks; sweep more often than the window is long`,
    });
  if ((BUCKET_MS[sap.bucket] ?? 0) > sap.lookBackMs)
    r.push({
      keys: ['sap.bucket', 'sap.lookBackMs'],
      message: `sap.bucket ${sap.bucket} is longer than sap.lookBackMs (${sap.lookBackMs} ms): choose a smaller bucket or a longer window`,
    });
  return r;
}

export function compileCaptureOptions(config: Readonly<CaptureSections>): CaptureOptions {
  const { sap, kafka } = config;
  const [table = 'MATDOC'] = sap.tables;
  const target = {
    name: sap.topicPrefix,
    db: sap.database === '' ? sap.host : sap.database,
    schema: sap.schema.toLowerCase(),
  };
  const topics = { matdoc: topicOf(target, table), mard: topicOf(target, sap.mardTable) };
  refuseImpossible('SAP capture', [
    ...sapRefusals(sap),
    ...sameTopicRefusals([
      { key: 'sap.tables', topic: topics.matdoc, holds: 'MATDOC changes' },
      { key: 'sap.mardTable', topic: topics.mard, holds: 'MARD reads' },
      { key: 'sap.stateTopic', topic: sap.stateTopic, holds: "the SAP capture's state" },
      { key: 'mapper.canonicalTopic', topic: config.mapper.canonicalTopic, holds: 'canonical events' },
      {
        key: 'mapper.deadLetterTopic',
        topic: config.mapper.deadLetterTopic,
        holds: "the mapper's dead letters",
      },
      { key: 'materializer.stockTopic', topic: config.materializer.stockTopic, holds: 'stock rows' },
      { key: 'mq.stateTopic', topic: config.mq.stateTopic, holds: "the MQ replicator's state" },
      {
        key: 'mq.deadLetterTopic',
        topic: config.mq.deadLetterTopic,
        holds: "the MQ replicator's dead letters",
      },
    ]),
    topicSettingsRefusal(kafka),
  ]);
  const source = `sap-capture/${sap.topicPrefix}/${target.schema}/${table}`;
  return deepFreeze({
    kafka: frozenCopy(kafka),
    driver: sap.driver,
    connection: {
      host: sap.host,
      port: sap.port,
      user: sap.user,
      password: sap.password,
      database: sap.database,
      tls: { enabled: sap.tls.enabled, caFile: sap.tls.caFile },
      poolMax: 2,
    },
    schema: sap.schema,
    core: {
      source,
      stateTopic: sap.stateTopic,
      target,
      matdocTable: table,
      mardTable: sap.mardTable,
      timeZone: sap.timeZone,
      safetyLagMs: sap.safetyLagMs,
      lookBackMs: sap.lookBackMs,
      // Checked by the schema (a union of literals, typed as a string).
      bucketLength: BUCKETS[sap.bucket] ?? 10,
      batchSize: sap.batchSize,
      initialLoad: sap.initialLoad,
      initialLoadId: sap.initialLoadId,
    },
    transactionalId: `stockline-sap-capture-${idPart(sap.topicPrefix)}-${idPart(target.schema)}-${idPart(table)}`,
    pollIntervalMs: sap.pollIntervalMs,
    sweepIntervalMs: sap.sweepIntervalMs,
    topics,
  });
}
