/* Numbers, durations and times as people read them. */
const number = new Intl.NumberFormat('en');

export function count(n) {
  return n === null || n === undefined ? '—' : number.format(n);
}

/** 45 s, 12 min, 3 h 20 min, 2 d 4 h. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "in 5 min", "3 h ago", "now". */
export function relative(iso, now = Date.now()) {
  if (!iso) return '—';
  const seconds = (new Date(iso).getTime() - now) / 1000;
  if (Math.abs(seconds) < 30) return 'now';
  return seconds > 0 ? `in ${duration(seconds)}` : `${duration(-seconds)} ago`;
}

/** A time in a zone ('local' = the viewer's), e.g. "14:05" or "Tue 14:05" when another day. */
export function clock(iso, timeZone, now = new Date()) {
  if (!iso) return '—';
  const zone = timeZone === 'local' ? undefined : timeZone;
  const at = new Date(iso);
  const day = (d) => d.toLocaleDateString('en-CA', { timeZone: zone });
  const time = at.toLocaleTimeString('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit' });
  return day(at) === day(now) ? time : `${at.toLocaleDateString('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short' })} ${time}`;
}

/** The full date and time, for titles. */
export function full(iso, timeZone) {
  if (!iso) return '';
  return new Date(iso).toLocaleString('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' }) + (timeZone ? ` (${timeZone})` : '');
}

export function name(claimant) {
  if (!claimant) return 'unknown claimant';
  const text = [claimant.firstName, claimant.lastName].filter(Boolean).join(' ');
  return text || `claimant ${claimant.userId}`;
}

export const QUEUE_LABEL = { UNSIGNED_USERS: 'Unsigned users', OUTSTANDING_REQUESTS: 'Outstanding requests' };
export const QUEUES = ['UNSIGNED_USERS', 'OUTSTANDING_REQUESTS'];

export function words(enumValue) {
  return enumValue ? enumValue.toLowerCase().replaceAll('_', ' ') : '—';
}
