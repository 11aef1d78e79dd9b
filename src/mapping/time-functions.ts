import { DateTime } from 'luxon';
import { MQ_HEADERS } from '../mq/headers.js';
import { scalarText } from './scalar-text.js';

/**
 * Source systems write local times in their own formats: DB2 timestamps on the mainframe,
 * ABAP DATS/TIMS strings in SAP, epoch microseconds from Debezium for DATETIME columns.
 * All become ISO 8601 with an offset. Microseconds are kept (luxon only knows milliseconds,
 * so the fraction is carried over as text).
 */
// Zone offsets change only at whole hours; computing one with luxon costs microseconds, so
// the offset of each local hour is computed once.
const offsetCache = new Map<string, string>();

function isoWithZone(wallClock: string, fraction: string, zone: string, what: string): string {
  const hourKey = `${zone}|${wallClock.slice(0, 13)}`;
  const cached = offsetCache.get(hourKey);
  const suffix = fraction ? `.${fraction}` : '';
  if (cached !== undefined && /:[0-5]\d:[0-5]\d$/.test(wallClock)) return `${wallClock}${suffix}${cached}`;
  const dt = DateTime.fromISO(wallClock, { zone });
  if (!dt.isValid) throw new Error(`${what}: ${dt.invalidExplanation ?? dt.invalidReason ?? 'invalid'}`);
  const offset = zone === 'UTC' ? 'Z' : dt.toFormat('ZZ');
  const local = dt.toFormat("yyyy-MM-dd'T'HH:mm:ss");
  // A wall time in a spring-forward gap does not exist; luxon moves it, and that hour is not cached.
  if (local === wallClock) {
    if (offsetCache.size > 100_000) offsetCache.clear();
    offsetCache.set(hourKey, offset);
  }
  return `${local}${suffix}${offset}`;
}

const DB2 = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})\.(\d{2})\.(\d{2})(?:\.(\d{1,6}))?$/;

export const timeFunctions = {
  /** "2026-11-20-08.15.02.123456" in the data center's zone -> "2026-11-20T08:15:02.123456+01:00" */
  db2Timestamp(value: unknown, zone: unknown): string {
    const m = typeof value === 'string' ? DB2.exec(value.trim()) : null;
    if (!m)
      throw new Error(
        `$db2Timestamp: "${String(value)}" is not a DB2 timestamp (YYYY-MM-DD-HH.MM.SS.NNNNNN)`,
      );
    return isoWithZone(
      `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`,
      m[7] ?? '',
      String(zone),
      '$db2Timestamp',
    );
  },
  /** ABAP DATS "20261120" and TIMS "081502" in the plant's zone. */
  sapDateTime(date: unknown, time: unknown, zone: unknown): string {
    const d = scalarText(date);
    const t = scalarText(time ?? '000000');
    if (!/^\d{8}$/.test(d) || !/^\d{6}$/.test(t))
      throw new Error(`$sapDateTime: "${d}" "${t}" are not ABAP DATS/TIMS (YYYYMMDD, HHMMSS)`);
    return isoWithZone(
      `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}`,
      '',
      String(zone),
      '$sapDateTime',
    );
  },
  /** ABAP DATS "20261120" -> ISO 8601 date "2026-11-20" (a posting date: a day, no time or zone). */
  sapDate(date: unknown): string {
    const d = scalarText(date);
    const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
    if (!/^\d{8}$/.test(d) || !DateTime.fromISO(iso, { zone: 'UTC' }).isValid)
      throw new Error(`$sapDate: "${d}" is not an ABAP DATS date (YYYYMMDD)`);
    return iso;
  },
  /** Debezium MicroTimestamp (DATETIME(6) with adaptive_time_microseconds): UTC. */
  fromEpochMicros(value: unknown): string {
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      throw new Error(`$fromEpochMicros: expected whole microseconds, got ${JSON.stringify(value)}`);
    const millis = Math.floor(value / 1000);
    const micros = String(((value % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
    return `${new Date(millis).toISOString().slice(0, 19)}.${micros}Z`;
  },
};

const MQ_IDENTITY_HEADERS = [MQ_HEADERS.queueManager, MQ_HEADERS.queue, MQ_HEADERS.messageId] as const;

export const textFunctions = {
  /**
   * The identity of a message the MQ replicator mirrored: `<queue manager>/<queue>/<MsgId hex>`
   * from its `mq.qmgr`, `mq.queue` and `mq.msgId` headers (src/mq/headers.ts). The same message
   * read twice (a failover, a backout after a crash, a put repeated with its id) gives the same
   * text. A record without them did not come through the replicator: an error, never a guess.
   */
  mqIdentity(headers: unknown): string {
    const h = (typeof headers === 'object' && headers !== null ? headers : {}) as Record<string, unknown>;
    const missing = MQ_IDENTITY_HEADERS.filter((name) => typeof h[name] !== 'string' || h[name] === '');
    if (missing.length > 0)
      throw new Error(
        `$mqIdentity: the record has no ${missing.join(', ')} header${missing.length > 1 ? 's' : ''} (or ${missing.length > 1 ? 'they are' : 'it is'} empty), so the MQ message it came from is unknown; records of an MQ queue reach Kafka through the MQ replicator, which writes ${MQ_IDENTITY_HEADERS.join(', ')}`,
      );
    return MQ_IDENTITY_HEADERS.map((name) => h[name] as string).join('/');
  },

  /** SAP material numbers are zero-padded to 18 or 40 characters; "000000000000100200" -> "100200". */
  stripZeros(value: unknown): string {
    const s = scalarText(value).trim();
    const stripped = s.replace(/^0+/, '');
    return stripped === '' && s !== '' ? '0' : stripped;
  },
};
