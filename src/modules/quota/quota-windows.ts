/** The quota windows that contain an instant, in a time zone: day and month, as dates. */
export interface QuotaWindows {
  /** YYYY-MM-DD of the day. */
  day: string;
  /** YYYY-MM-01 of the month. */
  month: string;
  /** When the day and the month end (the next window starts). */
  dayResetsAt: Date;
  monthResetsAt: Date;
}

/** Throws RangeError for a zone the runtime does not know. */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

/** One formatter per zone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function partsIn(
  instant: Date,
  timeZone: string,
): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts = formatterFor(timeZone).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return {
    y: get('year'),
    m: get('month'),
    d: get('day'),
    h: get('hour'),
    min: get('minute'),
    s: get('second'),
  };
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(instant: Date, timeZone: string): number {
  const p = partsIn(instant, timeZone);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant local midnight of y-m-d happens in the zone. */
function zonedMidnight(y: number, m: number, d: number, timeZone: string): Date {
  const guess = Date.UTC(y, m - 1, d);
  let instant = new Date(guess - offsetAt(new Date(guess), timeZone));
  // Once more, in case the offset differs across the guess (DST change that day).
  instant = new Date(guess - offsetAt(instant, timeZone));
  return instant;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The last windows computed per zone, with the instant their day began: every send asks for
 * the windows of "now", and they change once a day, while computing them formats the instant
 * in the zone five times (Intl, ~0.1 ms in all).
 */
const lastWindows = new Map<string, { dayStartsAt: number; windows: QuotaWindows }>();

export function quotaWindows(now: Date, timeZone: string): QuotaWindows {
  const at = now.getTime();
  const last = lastWindows.get(timeZone);
  if (last && last.dayStartsAt <= at && at < last.windows.dayResetsAt.getTime()) {
    return last.windows;
  }
  const windows = computeWindows(now, timeZone);
  const [y, m, d] = windows.day.split('-').map(Number);
  lastWindows.set(timeZone, {
    dayStartsAt: zonedMidnight(y, m, d, timeZone).getTime(),
    windows: Object.freeze(windows),
  });
  return windows;
}

function computeWindows(now: Date, timeZone: string): QuotaWindows {
  const { y, m, d } = partsIn(now, timeZone);
  const nextDay = new Date(Date.UTC(y, m - 1, d + 1));
  const nextMonth = new Date(Date.UTC(y, m, 1));
  return {
    day: `${y}-${pad(m)}-${pad(d)}`,
    month: `${y}-${pad(m)}-01`,
    dayResetsAt: zonedMidnight(
      nextDay.getUTCFullYear(),
      nextDay.getUTCMonth() + 1,
      nextDay.getUTCDate(),
      timeZone,
    ),
    monthResetsAt: zonedMidnight(
      nextMonth.getUTCFullYear(),
      nextMonth.getUTCMonth() + 1,
      1,
      timeZone,
    ),
  };
}
