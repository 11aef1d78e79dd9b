/**
 * Instants as normalized UTC ISO strings with microseconds, "2024-05-01T08:00:00.000000Z":
 * fixed width, so they compare as strings in time order, and exact to the microsecond like a
 * PostgreSQL timestamptz (Date would keep only milliseconds). Digits beyond the microsecond
 * are cut, the same way for every event, so comparisons stay consistent.
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,12}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** The normalized instant, or undefined when `text` is not an ISO 8601 date-time with an offset. */
export function normalizeInstant(text: string): string | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
  const offsetMinutes = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || Math.abs(offsetMinutes) > 18 * 60)
    return undefined;
  // setUTCFullYear, not Date.UTC, which reads years below 100 as 19xx.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // Dates roll 31 April over into May; a date that does not exist is not an instant.
  if (date.getUTCDate() !== day) return undefined;
  const local = date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000;
  const utc = new Date(local - offsetMinutes * 60000).toISOString(); // 2024-05-01T08:00:00.000Z
  return `${utc.slice(0, 19)}.${fraction}Z`;
}
