/**
 * Date-times as clients write them: ISO-8601 / RFC 3339 with an explicit zone, so
 * "2026-12-01 08:00" or "tomorrow" never slip through. T or t, seconds optional, a fraction of
 * any length after . or , (as .NET and Python write them), Z or z or an offset ±hh:mm, ±hhmm or
 * ±hh. The one rule for the API's DateTime scalar and the scheduler's instance files.
 * Complexity: O(length).
 */
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/**
 * The instant (ms since the epoch) `s` writes; 'format' when it is not such a date-time,
 * 'calendar' when the date and time as written do not exist: a day the month has (no 31
 * November, 29 February only in leap years), hours 0-23, minutes and seconds 0-59, an offset of
 * at most 14 h, nothing finer than a millisecond (JavaScript's Date would move 2026-11-31 to 1
 * December and T24:00 to the next day); 'range' when the instant is outside the years 0001 to
 * 9999 UTC (PostgreSQL has no year 0; an offset can carry 0001-01-01T00:00+01:00 into year 0).
 */
export function parseDateTime(s: unknown): number | 'format' | 'calendar' | 'range' {
  const m = typeof s === 'string' ? ISO_RE.exec(s) : null;
  if (!m) return 'format';
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  const fraction = m[7] ?? '';
  const days = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || sec > 59) return 'calendar';
  if (/[1-9]/.test(fraction.slice(3))) return 'calendar';
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const offH = m[10] === undefined ? 0 : Number(m[10]);
  const offM = m[11] === undefined ? 0 : Number(m[11]);
  if (offH > 14 || offM > 59) return 'calendar';
  const offset = (m[9] === '-' ? -1 : 1) * (offH * 60 + offM);
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years 0-99 as 1900-1999
  t.setUTCHours(h, mi, sec, ms);
  const at = t.getTime() - offset * 60_000;
  return at < FIRST_MS || at >= AFTER_LAST_MS ? 'range' : at;
}

/** 0001-01-01T00:00Z and 10000-01-01T00:00Z, ms since the epoch. */
const FIRST_MS = -62135596800000;
const AFTER_LAST_MS = 253402300800000;
