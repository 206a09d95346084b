/**
 * The calling window: claimants are called only between `start` and `end` of their own local
 * time (default 08:00–21:00). Pure: tested with fixed instants and time zones, DST included.
 */
export interface CallingWindow {
  /** Minutes after local midnight. */
  startMinute: number;
  endMinute: number;
}

export function parseWindow(start: string, end: string): CallingWindow {
  const minute = (text: string) => {
    const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
    if (!match) throw new Error(`calling window times are HH:MM, got "${text}"`);
    return Number(match[1]) * 60 + Number(match[2]);
  };
  const window = { startMinute: minute(start), endMinute: minute(end) };
  if (window.endMinute <= window.startMinute) throw new Error('the calling window must end after it starts');
  return window;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local calendar parts of an instant in a time zone. */
function localParts(instant: Date, timeZone: string): { year: number; month: number; day: number; minute: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** The zone's offset (local minus UTC, in ms) at an instant. */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(new Date(instant), timeZone);
  const shown = Date.UTC(p.year, p.month - 1, p.day, Math.floor(p.minute / 60), p.minute % 60);
  return shown - Math.floor(instant / 60_000) * 60_000;
}

/**
 * The instant at which the local clock of `timeZone` shows the given date and minute. A time
 * the clock shows twice (a fall-back) is its first; a time it skips (a spring-forward gap) is
 * moved forward by the gap's length, as java.time and Temporal ("compatible") and Postgres's
 * AT TIME ZONE do: the offset before the change applies.
 */
function instantOf(year: number, month: number, day: number, minute: number, timeZone: string): Date {
  const wanted = Date.UTC(year, month - 1, day, Math.floor(minute / 60), minute % 60);
  const DAY = 86_400_000;
  // At most one offset change lies within a day of the wanted time.
  const before = wanted - offsetAt(wanted - DAY, timeZone);
  const after = wanted - offsetAt(wanted + DAY, timeZone);
  const shows = (instant: number) => instant + offsetAt(instant, timeZone) === wanted;
  const valid = [before, after].filter(shows).sort((a, b) => a - b);
  return new Date(valid[0] ?? before);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    localParts(new Date(), timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Null when `now` is inside the window in that zone; else the next opening. */
export function nextWindowOpening(now: Date, timeZone: string, window: CallingWindow): Date | null {
  const local = localParts(now, timeZone);
  if (local.minute >= window.startMinute && local.minute < window.endMinute) return null;
  const opening = instantOf(local.year, local.month, local.day, window.startMinute, timeZone);
  if (local.minute < window.startMinute) return opening;
  // After the end: the next day's opening (Date.UTC normalises day + 1 across months).
  const next = new Date(Date.UTC(local.year, local.month - 1, local.day + 1));
  return instantOf(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), window.startMinute, timeZone);
}

/** The opening of the window on the next local day (for the daily attempt cap). */
export function tomorrowsOpening(now: Date, timeZone: string, window: CallingWindow): Date {
  const local = localParts(now, timeZone);
  const next = new Date(Date.UTC(local.year, local.month - 1, local.day + 1));
  return instantOf(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), window.startMinute, timeZone);
}
