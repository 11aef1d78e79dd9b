// Times as each source system writes them. The simulator keeps instants as whole microseconds
// since the epoch (a JS number holds them exactly until the year 2255); PostgreSQL timestamptz,
// MariaDB DATETIME(6) and DB2 timestamps keep microseconds too, SAP only whole seconds.
import { DateTime } from 'luxon';

/** Instants in whole microseconds since the epoch (UTC). */
export type Micros = number;

export const MICROS_PER_MILLI = 1_000;
export const MICROS_PER_SECOND = 1_000_000;

/** SAP plants and the mainframe data center write local wall-clock times (mappings/sap-matdoc.yaml). */
export const SOURCE_ZONE = 'Europe/Berlin';

const fraction = (us: Micros) =>
  String(((us % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND).padStart(6, '0');
const utcSeconds = (us: Micros) =>
  new Date(Math.floor(us / MICROS_PER_SECOND) * 1000).toISOString().slice(0, 19);

/** "2026-11-20T08:15:02.123456Z": a PostgreSQL timestamptz literal, and the stock table's notation. */
export function isoMicros(us: Micros): string {
  return `${utcSeconds(us)}.${fraction(us)}Z`;
}

/** "2026-11-20 08:15:02.123456": a MariaDB DATETIME(6) in UTC (the store tables keep UTC). */
export function mariadbDatetime(us: Micros): string {
  return `${utcSeconds(us).replace('T', ' ')}.${fraction(us)}`;
}

// Zone offsets change only at whole UTC hours, so one luxon call per hour is enough.
const offsetByUtcHour = new Map<number, number>();

function zoneOffsetMinutes(us: Micros): number {
  const hour = Math.floor(us / (3600 * MICROS_PER_SECOND));
  let offset = offsetByUtcHour.get(hour);
  if (offset === undefined) {
    offset = DateTime.fromMillis(hour * 3600 * 1000, { zone: SOURCE_ZONE }).offset;
    if (offsetByUtcHour.size > 10_000) offsetByUtcHour.clear();
    offsetByUtcHour.set(hour, offset);
  }
  return offset;
}

export interface LocalTime {
  /** ABAP DATS: "20261120". */
  dats: string;
  /** ABAP TIMS: "081502" (SAP keeps no fraction of a second). */
  tims: string;
  /** DB2 timestamp: "2026-11-20-08.15.02.123456". */
  db2: string;
}

/** The wall clock in SOURCE_ZONE at an instant, in SAP's and DB2's notations. */
export function sourceLocalTime(us: Micros): LocalTime {
  const local = new Date(Math.floor(us / MICROS_PER_SECOND) * 1000 + zoneOffsetMinutes(us) * 60_000)
    .toISOString()
    .slice(0, 19); // 2026-11-20T08:15:02
  const [date = '', time = ''] = local.split('T');
  return {
    dats: date.replaceAll('-', ''),
    tims: time.replaceAll(':', ''),
    db2: `${date}-${time.replaceAll(':', '.')}.${fraction(us)}`,
  };
}

// Reading a wall clock back: one luxon call per local hour. In the hour that repeats when
// summer time ends, luxon picks one of the two offsets for every time in it, as the mappings'
// $sapDateTime and $db2Timestamp do (they are built on luxon the same way).
const offsetByLocalHour = new Map<string, number>();

/** The instant of a wall-clock time "YYYY-MM-DDTHH:MM:SS" plus microseconds in SOURCE_ZONE. */
export function instantOfLocalTime(wallClock: string, micros = 0): Micros {
  const hourKey = wallClock.slice(0, 13);
  let offset = offsetByLocalHour.get(hourKey);
  if (offset === undefined) {
    const parsed = DateTime.fromISO(wallClock, { zone: SOURCE_ZONE });
    if (!parsed.isValid) throw new Error(`"${wallClock}" is not a wall-clock time`);
    offset = parsed.offset;
    if (offsetByLocalHour.size > 10_000) offsetByLocalHour.clear();
    offsetByLocalHour.set(hourKey, offset);
  }
  const asUtc = Date.parse(`${wallClock}Z`);
  return (asUtc - offset * 60_000) * MICROS_PER_MILLI + micros;
}

/** The instant an ABAP DATS + TIMS pair stands for. */
export function instantOfSapTime(dats: string, tims: string): Micros {
  return instantOfLocalTime(
    `${dats.slice(0, 4)}-${dats.slice(4, 6)}-${dats.slice(6, 8)}T${tims.slice(0, 2)}:${tims.slice(2, 4)}:${tims.slice(4, 6)}`,
  );
}

/** The instant a DB2 timestamp "YYYY-MM-DD-HH.MM.SS.NNNNNN" stands for. */
export function instantOfDb2Timestamp(db2: string): Micros {
  const m = /^(\d{4}-\d{2}-\d{2})-(\d{2})\.(\d{2})\.(\d{2})\.(\d{6})$/.exec(db2);
  if (!m) throw new Error(`"${db2}" is not a DB2 timestamp`);
  return instantOfLocalTime(`${m[1]}T${m[2]}:${m[3]}:${m[4]}`, Number(m[5]));
}
